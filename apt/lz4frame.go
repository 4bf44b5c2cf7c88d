package apt

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	"github.com/pierrec/lz4/v4"
)

// lz4Reader reads LZ4 frames (the format of liblz4 and the lz4 tool,
// which APT uses for its lists) with the block decoder of
// github.com/pierrec/lz4. It exists because that library's own frame
// reader reallocates its 64 KiB history for every block of the linked
// block mode APT writes, which allocates twice the uncompressed size of a
// list; this reader decodes into one sliding window and allocates once.
// Checksums are not verified (APT checked the downloaded data's hashes).
type lz4Reader struct {
	r      io.Reader
	hdr    [19]byte
	win    []byte // history (up to 64 KiB) followed by the current block
	hist   int    // bytes of history at the start of win
	out    []byte // undelivered output, a slice of win
	src    []byte // compressed block
	linked bool
	blkSum bool
	conSum bool
	inFr   bool // inside a frame
}

const (
	lz4Magic     = 0x184D2204
	lz4SkipMagic = 0x184D2A50 // ..0x184D2A5F
	lz4History   = 64 << 10
)

var errLZ4 = errors.New("lz4: corrupt frame")

func newLZ4Reader(r io.Reader) *lz4Reader { return &lz4Reader{r: r} }

func (z *lz4Reader) Read(p []byte) (int, error) {
	for len(z.out) == 0 {
		if err := z.next(); err != nil {
			return 0, err
		}
	}
	n := copy(p, z.out)
	z.out = z.out[n:]
	return n, nil
}

// frameHeader reads a frame header; io.EOF at a clean end of input.
func (z *lz4Reader) frameHeader() error {
	for {
		if _, err := io.ReadFull(z.r, z.hdr[:4]); err != nil {
			if err == io.ErrUnexpectedEOF {
				return fmt.Errorf("%w: truncated header", errLZ4)
			}
			return err
		}
		magic := binary.LittleEndian.Uint32(z.hdr[:4])
		if magic&0xFFFFFFF0 == lz4SkipMagic {
			if _, err := io.ReadFull(z.r, z.hdr[:4]); err != nil {
				return fmt.Errorf("%w: truncated skippable frame", errLZ4)
			}
			if _, err := io.CopyN(io.Discard, z.r, int64(binary.LittleEndian.Uint32(z.hdr[:4]))); err != nil {
				return fmt.Errorf("%w: truncated skippable frame", errLZ4)
			}
			continue
		}
		if magic != lz4Magic {
			return fmt.Errorf("%w: bad magic %#x", errLZ4, magic)
		}
		break
	}
	if _, err := io.ReadFull(z.r, z.hdr[:2]); err != nil {
		return fmt.Errorf("%w: truncated header", errLZ4)
	}
	flg, bd := z.hdr[0], z.hdr[1]
	if flg>>6 != 1 {
		return fmt.Errorf("%w: version %d", errLZ4, flg>>6)
	}
	z.linked = flg&0x20 == 0
	z.blkSum = flg&0x10 != 0
	z.conSum = flg&0x04 != 0
	extra := 1 // header checksum
	if flg&0x08 != 0 {
		extra += 8 // content size
	}
	if flg&0x01 != 0 {
		extra += 4 // dictionary id
	}
	if _, err := io.ReadFull(z.r, z.hdr[:extra]); err != nil {
		return fmt.Errorf("%w: truncated header", errLZ4)
	}
	var max int
	switch (bd >> 4) & 7 {
	case 4:
		max = 64 << 10
	case 5:
		max = 256 << 10
	case 6:
		max = 1 << 20
	case 7:
		max = 4 << 20
	default:
		return fmt.Errorf("%w: block size code %d", errLZ4, (bd>>4)&7)
	}
	if cap(z.win) < lz4History+max {
		z.win = make([]byte, lz4History+max)
		z.src = make([]byte, max)
	}
	z.win = z.win[:lz4History+max]
	z.src = z.src[:max]
	z.hist = 0
	z.inFr = true
	return nil
}

// next decodes the next block into the window.
func (z *lz4Reader) next() error {
	if !z.inFr {
		if err := z.frameHeader(); err != nil {
			return err
		}
	}
	var b [4]byte
	if _, err := io.ReadFull(z.r, b[:]); err != nil {
		return fmt.Errorf("%w: truncated block", errLZ4)
	}
	size := binary.LittleEndian.Uint32(b[:])
	if size == 0 { // end mark
		if z.conSum {
			if _, err := io.ReadFull(z.r, b[:]); err != nil {
				return fmt.Errorf("%w: truncated checksum", errLZ4)
			}
		}
		z.inFr = false
		return nil
	}
	raw := size&0x80000000 != 0
	size &= 0x7FFFFFFF
	if int(size) > len(z.src) {
		return fmt.Errorf("%w: block of %d bytes exceeds the frame's %d", errLZ4, size, len(z.src))
	}
	src := z.src[:size]
	if _, err := io.ReadFull(z.r, src); err != nil {
		return fmt.Errorf("%w: truncated block", errLZ4)
	}
	if z.blkSum {
		if _, err := io.ReadFull(z.r, b[:]); err != nil {
			return fmt.Errorf("%w: truncated checksum", errLZ4)
		}
	}
	// Keep the last 64 KiB of output as history for linked blocks.
	if !z.linked {
		z.hist = 0
	} else if z.hist > lz4History {
		copy(z.win, z.win[z.hist-lz4History:z.hist])
		z.hist = lz4History
	}
	dst := z.win[z.hist : z.hist+len(z.src)]
	var n int
	if raw {
		n = copy(dst, src)
	} else {
		var err error
		var dict []byte
		if z.linked {
			dict = z.win[:z.hist]
		}
		n, err = lz4.UncompressBlockWithDict(src, dst, dict)
		if err != nil {
			return fmt.Errorf("%w: %v", errLZ4, err)
		}
	}
	z.out = dst[:n]
	if z.linked {
		z.hist += n
	}
	return nil
}
