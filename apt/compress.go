package apt

import (
	"bufio"
	"bytes"
	"compress/bzip2"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
	"github.com/ulikunitz/xz"
	"github.com/ulikunitz/xz/lzma"
)

// Compression is a compression format APT keeps index files in.
type Compression string

// The formats APT knows, by file name extension.
const (
	Uncompressed Compression = ""
	GZ           Compression = "gz"
	XZ           Compression = "xz"
	LZ4          Compression = "lz4"
	ZST          Compression = "zst"
	BZ2          Compression = "bz2"
	LZMA         Compression = "lzma"
)

// compressions in the order APT prefers them when several copies exist.
var compressions = []Compression{Uncompressed, LZ4, ZST, GZ, XZ, BZ2, LZMA}

// ErrCompression is returned for index data whose compression cannot be
// read.
var ErrCompression = errors.New("unsupported or corrupt compression")

// compressionOf returns the compression a file name's extension names.
func compressionOf(name string) Compression {
	i := strings.LastIndexByte(name, '.')
	if i < 0 {
		return Uncompressed
	}
	switch c := Compression(name[i+1:]); c {
	case GZ, XZ, LZ4, ZST, BZ2, LZMA:
		return c
	}
	return Uncompressed
}

// magic numbers, to detect a format whatever the file is called (APT
// itself trusts the extension; a file renamed by hand is read anyway).
var magics = []struct {
	c Compression
	m []byte
}{
	{GZ, []byte{0x1f, 0x8b}},
	{XZ, []byte{0xfd, '7', 'z', 'X', 'Z', 0}},
	{LZ4, []byte{0x04, 0x22, 0x4d, 0x18}},
	{ZST, []byte{0x28, 0xb5, 0x2f, 0xfd}},
	{BZ2, []byte("BZh")},
}

// Decompress returns a reader of r's uncompressed content. The format is
// detected from the data's magic number; c is used only for formats
// without one (lzma). Close releases decoder resources; it does not close
// r.
func Decompress(r io.Reader, c Compression) (io.ReadCloser, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	head, _ := br.Peek(6)
	detected := Uncompressed
	for _, m := range magics {
		if bytes.HasPrefix(head, m.m) {
			detected = m.c
			break
		}
	}
	if detected == Uncompressed && c == LZMA {
		detected = LZMA
	}
	switch detected {
	case GZ:
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, fmt.Errorf("%w: gzip: %v", ErrCompression, err)
		}
		return zr, nil
	case XZ:
		zr, err := xz.NewReader(br)
		if err != nil {
			return nil, fmt.Errorf("%w: xz: %v", ErrCompression, err)
		}
		return io.NopCloser(zr), nil
	case LZMA:
		zr, err := lzma.NewReader(br)
		if err != nil {
			return nil, fmt.Errorf("%w: lzma: %v", ErrCompression, err)
		}
		return io.NopCloser(zr), nil
	case LZ4:
		return io.NopCloser(newLZ4Reader(br)), nil
	case ZST:
		zr, err := zstd.NewReader(br, zstd.WithDecoderConcurrency(1), zstd.WithDecoderLowmem(true))
		if err != nil {
			return nil, fmt.Errorf("%w: zstd: %v", ErrCompression, err)
		}
		return zstdCloser{zr}, nil
	case BZ2:
		return io.NopCloser(bzip2.NewReader(br)), nil
	}
	return io.NopCloser(br), nil
}

type zstdCloser struct{ *zstd.Decoder }

func (z zstdCloser) Close() error { z.Decoder.Close(); return nil }
