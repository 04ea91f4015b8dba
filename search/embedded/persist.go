package embedded

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"math"
	"os"
	"path/filepath"
)

// On-disk format. The directory holds a snapshot (index.snap) and a log of
// the mutations since (index.log). Both files start with an 8-byte magic and
// a format version, then frames: uint32 payload length, uint32 CRC-32C of
// the payload, payload. A frame's first byte says what it is:
//
//	opPut    chunks to add (the snapshot is only these)
//	opIndex  chunks that replace their documents' earlier chunks (Store.Index)
//	opDelete document ids whose chunks go (Store.Delete)
//
// A torn or corrupt frame at the end of the log (a crash mid-write) ends the
// replay and is cut off. The snapshot is replaced atomically (temp file,
// fsync, rename, fsync of the directory), after which the log starts over.
const (
	magic         = "RCEMBIDX"
	formatVersion = 1

	snapName = "index.snap"
	logName  = "index.log"

	opPut    = 1
	opIndex  = 2
	opDelete = 3

	maxFrame = 1 << 30
)

var crcTable = crc32.MakeTable(crc32.Castagnoli)

// header is magic + version + vector dims.
func writeHeader(w io.Writer, dims int) error {
	var b [16]byte
	copy(b[:8], magic)
	binary.LittleEndian.PutUint32(b[8:], formatVersion)
	binary.LittleEndian.PutUint32(b[12:], uint32(dims))
	_, err := w.Write(b[:])
	return err
}

const headerSize = 16

func readHeader(r io.Reader) (dims int, err error) {
	var b [headerSize]byte
	if _, err := io.ReadFull(r, b[:]); err != nil {
		return 0, fmt.Errorf("header: %w", err)
	}
	if string(b[:8]) != magic {
		return 0, errors.New("not an embedded index file")
	}
	if v := binary.LittleEndian.Uint32(b[8:]); v != formatVersion {
		return 0, fmt.Errorf("format version %d, this build reads %d", v, formatVersion)
	}
	return int(binary.LittleEndian.Uint32(b[12:])), nil
}

// enc builds a frame payload.
type enc struct{ b []byte }

func (e *enc) uvarint(x uint64) { e.b = binary.AppendUvarint(e.b, x) }
func (e *enc) str(s string)     { e.uvarint(uint64(len(s))); e.b = append(e.b, s...) }

func (e *enc) entry(x *entry) {
	c := &x.chunk
	e.str(c.ID)
	e.str(c.DocumentID)
	e.uvarint(uint64(c.Position))
	e.str(c.Title)
	e.str(c.URL)
	e.str(c.Heading)
	e.str(c.Text)
	e.uvarint(uint64(len(x.vec)))
	if len(x.vec) > 0 {
		e.b = binary.LittleEndian.AppendUint32(e.b, math.Float32bits(x.scale))
		for _, v := range x.vec {
			e.b = append(e.b, byte(v))
		}
	}
}

// frame returns the framed payload.
func (e *enc) frame() []byte {
	out := make([]byte, 8, 8+len(e.b))
	binary.LittleEndian.PutUint32(out, uint32(len(e.b)))
	binary.LittleEndian.PutUint32(out[4:], crc32.Checksum(e.b, crcTable))
	return append(out, e.b...)
}

// dec reads a frame payload; the first error sticks.
type dec struct {
	b   []byte
	err error
}

var errShort = errors.New("truncated payload")

func (d *dec) uvarint() uint64 {
	if d.err != nil {
		return 0
	}
	x, n := binary.Uvarint(d.b)
	if n <= 0 {
		d.err = errShort
		return 0
	}
	d.b = d.b[n:]
	return x
}

func (d *dec) bytes(n uint64) []byte {
	if d.err != nil {
		return nil
	}
	if n > uint64(len(d.b)) {
		d.err = errShort
		return nil
	}
	out := d.b[:n]
	d.b = d.b[n:]
	return out
}

func (d *dec) str() string { return string(d.bytes(d.uvarint())) }

func (d *dec) entry() entry {
	var x entry
	c := &x.chunk
	c.ID = d.str()
	c.DocumentID = d.str()
	c.Position = int(d.uvarint())
	c.Title = d.str()
	c.URL = d.str()
	c.Heading = d.str()
	c.Text = d.str()
	if n := d.uvarint(); n > 0 {
		sc := d.bytes(4)
		raw := d.bytes(n)
		if d.err == nil {
			x.scale = math.Float32frombits(binary.LittleEndian.Uint32(sc))
			x.vec = make([]int8, n)
			for i, v := range raw {
				x.vec[i] = int8(v)
			}
		}
	}
	return x
}

// op is one decoded frame.
type op struct {
	kind    byte
	entries []entry
	docIDs  []string
}

func encodeOp(o *op) []byte {
	e := enc{b: []byte{o.kind}}
	switch o.kind {
	case opPut, opIndex:
		e.uvarint(uint64(len(o.entries)))
		for i := range o.entries {
			e.entry(&o.entries[i])
		}
	case opDelete:
		e.uvarint(uint64(len(o.docIDs)))
		for _, id := range o.docIDs {
			e.str(id)
		}
	}
	return e.frame()
}

func decodeOp(payload []byte) (op, error) {
	if len(payload) == 0 {
		return op{}, errShort
	}
	d := dec{b: payload[1:]}
	o := op{kind: payload[0]}
	switch o.kind {
	case opPut, opIndex:
		n := d.uvarint()
		for i := uint64(0); i < n && d.err == nil; i++ {
			o.entries = append(o.entries, d.entry())
		}
	case opDelete:
		n := d.uvarint()
		for i := uint64(0); i < n && d.err == nil; i++ {
			o.docIDs = append(o.docIDs, d.str())
		}
	default:
		return op{}, fmt.Errorf("unknown frame kind %d", o.kind)
	}
	if d.err == nil && len(d.b) != 0 {
		d.err = errors.New("trailing bytes in frame")
	}
	return o, d.err
}

// readFrames calls fn for each intact frame of r (after the header) and
// returns how many bytes of frames were good. It stops without error at the
// first torn or corrupt frame.
func readFrames(r io.Reader, fn func(op) error) (good int64, err error) {
	br := bufio.NewReaderSize(r, 1<<20)
	var hdr [8]byte
	for {
		if _, err := io.ReadFull(br, hdr[:]); err != nil {
			return good, nil // end, or a torn frame header
		}
		n := binary.LittleEndian.Uint32(hdr[:])
		if n > maxFrame {
			return good, nil
		}
		// Read through a limit rather than allocating n up front: a corrupt
		// length must not allocate a gigabyte for a short file.
		payload, err := io.ReadAll(io.LimitReader(br, int64(n)))
		if err != nil || len(payload) != int(n) {
			return good, nil
		}
		if crc32.Checksum(payload, crcTable) != binary.LittleEndian.Uint32(hdr[4:]) {
			return good, nil
		}
		o, err := decodeOp(payload)
		if err != nil {
			return good, nil
		}
		if err := fn(o); err != nil {
			return good, err
		}
		good += int64(8 + n)
	}
}

// writeSnapshot writes the live chunks of ix to dir/index.snap atomically.
func writeSnapshot(dir string, ix *index, sync bool) error {
	f, err := os.CreateTemp(dir, snapName+".tmp*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	defer os.Remove(tmp) // a no-op after the rename
	w := bufio.NewWriterSize(f, 1<<20)
	err = writeHeader(w, ix.dims)
	batch := op{kind: opPut}
	flush := func() {
		if err == nil && len(batch.entries) > 0 {
			_, err = w.Write(encodeOp(&batch))
		}
		batch.entries = batch.entries[:0]
	}
	for s := range ix.chunks {
		if err != nil {
			break
		}
		if ix.chunks[s].ID == "" {
			continue
		}
		batch.entries = append(batch.entries, ix.entryAt(uint32(s)))
		if len(batch.entries) == 512 {
			flush()
		}
	}
	flush()
	if err == nil {
		err = w.Flush()
	}
	if err == nil && sync {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	if err := os.Rename(tmp, filepath.Join(dir, snapName)); err != nil {
		return err
	}
	if sync {
		return syncDir(dir)
	}
	return nil
}

// entryAt rebuilds the stored form of a slot (terms are not needed on disk).
func (ix *index) entryAt(s uint32) entry {
	e := entry{chunk: ix.chunks[s]}
	if ix.scale[s] != 0 {
		e.vec = make([]int8, ix.dims)
		for j := range e.vec {
			e.vec[j] = ix.cols[j][s]
		}
		e.scale = ix.scale[s]
	}
	return e
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return err
}
