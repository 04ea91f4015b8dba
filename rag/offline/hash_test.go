package offline

import (
	"context"
	"errors"
	"math"
	"testing"

	"ragchat/rag"
)

func embed(t *testing.T, e *HashEmbedder, texts ...string) [][]float32 {
	t.Helper()
	vs, err := e.Embed(context.Background(), texts)
	if err != nil {
		t.Fatal(err)
	}
	if len(vs) != len(texts) {
		t.Fatalf("got %d vectors for %d texts", len(vs), len(texts))
	}
	return vs
}

func cos(a, b []float32) float64 {
	var d float64
	for i := range a {
		d += float64(a[i]) * float64(b[i])
	}
	return d
}

func TestHashEmbedderShape(t *testing.T) {
	var _ rag.Embedder = NewHashEmbedder(0)
	if d := NewHashEmbedder(0).Dimensions(); d != DefaultHashDimensions {
		t.Errorf("default dimensions = %d, want %d", d, DefaultHashDimensions)
	}
	if d := NewHashEmbedder(-3).Dimensions(); d != DefaultHashDimensions {
		t.Errorf("dimensions for -3 = %d, want %d", d, DefaultHashDimensions)
	}
	e := NewHashEmbedder(64)
	vs := embed(t, e, "Server-Sent Events stream text", "", "the of and", "칸트는 독일의 철학자이다")
	for i, v := range vs {
		if len(v) != 64 {
			t.Errorf("vector %d has %d dimensions, want 64", i, len(v))
		}
	}
	for _, i := range []int{0, 3} {
		if n := cos(vs[i], vs[i]); math.Abs(n-1) > 1e-5 {
			t.Errorf("vector %d has norm² %v, want 1", i, n)
		}
	}
	for _, i := range []int{1, 2} { // empty, and stopwords only
		if n := cos(vs[i], vs[i]); n != 0 {
			t.Errorf("vector %d has norm² %v, want a zero vector", i, n)
		}
	}
}

// TestHashEmbedderGolden pins a few components, so that a change of hash,
// features or weights (which would silently invalidate every persisted
// index built with the old vectors) shows up as a failing test.
func TestHashEmbedderGolden(t *testing.T) {
	v := embed(t, NewHashEmbedder(16), "Rainbows are caused by refraction")[0]
	want := goldenRainbow
	for i := range want {
		if math.Abs(float64(v[i]-want[i])) > 1e-6 {
			t.Fatalf("vector = %#v\nwant %#v", v, want)
		}
	}
}

func TestHashEmbedderSimilarity(t *testing.T) {
	e := NewHashEmbedder(0)
	tests := []struct {
		name             string
		query, near, far string
	}{
		{"english inflections", "when did the volcano erupt", "The volcano erupted in 79 and buried Pompeii.", "Rainbows are caused by refraction of light."},
		{"korean particles", "칸트의 철학", "칸트는 독일의 철학자이다.", "김치는 발효 음식이다."},
		{"width and case", "ＡＰＩ key", "the api key is secret", "a river flows to the sea"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			vs := embed(t, e, tt.query, tt.near, tt.far)
			if near, far := cos(vs[0], vs[1]), cos(vs[0], vs[2]); near <= far || near < 0.2 {
				t.Errorf("cos(query, near) = %.3f, cos(query, far) = %.3f; want near clearly higher", near, far)
			}
		})
	}
}

func TestHashEmbedderDeterministic(t *testing.T) {
	e := NewHashEmbedder(0)
	text := "The 1973 oil crisis began in October 1973. 1973년 석유 파동은 10월에 시작되었다."
	a := embed(t, e, text, "other", text)
	for i := range a[0] {
		if a[0][i] != a[2][i] {
			t.Fatalf("component %d differs between two embeddings of one text: %v vs %v", i, a[0][i], a[2][i])
		}
	}
}

func TestHashEmbedderCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := NewHashEmbedder(0).Embed(ctx, []string{"x"}); !errors.Is(err, context.Canceled) {
		t.Errorf("Embed with a cancelled context = %v, want context.Canceled", err)
	}
}

func BenchmarkHashEmbed(b *testing.B) {
	e := NewHashEmbedder(0)
	text := "The 1973 oil crisis began in October 1973 when the members of the Organization of Arab Petroleum Exporting Countries proclaimed an oil embargo. 칸트는 독일의 철학자로 순수이성비판을 썼다."
	for b.Loop() {
		if _, err := e.Embed(context.Background(), []string{text}); err != nil {
			b.Fatal(err)
		}
	}
}
