package offline

// goldenRainbow is NewHashEmbedder(16) of "Rainbows are caused by refraction".
var goldenRainbow = []float32{-0.05609682, 0.07479576, 0.11219364, -0.05609682, -0.20568834, 0.07479576, 0.07479576, 0.05609682, -0.5235703, 0, -0.5235703, -0.26178515, 0.07479576, 0.5235703, 0, -0.14959152}
