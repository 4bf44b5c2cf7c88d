package apt

import (
	"bytes"
	"compress/gzip"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/klauspost/compress/zstd"
	"github.com/pierrec/lz4/v4"
	"github.com/ulikunitz/xz"
	"github.com/ulikunitz/xz/lzma"

	"github.com/hostadm/hostadm/internal/testenv"
)

func samplePackages(tb testing.TB) []byte {
	tb.Helper()
	data, err := os.ReadFile(fixture + "/var/lib/apt/lists/ftp.debian.org_debian_dists_bookworm_main_binary-amd64_Packages")
	if err != nil {
		tb.Fatal(err)
	}
	// Repeat to span several blocks of every format.
	return bytes.Repeat(data, 40)
}

func compressWith(tb testing.TB, c Compression, data []byte, opts ...lz4.Option) []byte {
	tb.Helper()
	var b bytes.Buffer
	var w io.WriteCloser
	var err error
	switch c {
	case GZ:
		w = gzip.NewWriter(&b)
	case XZ:
		w, err = xz.NewWriter(&b)
	case LZMA:
		w, err = lzma.NewWriter(&b)
	case ZST:
		w, err = zstd.NewWriter(&b)
	case LZ4:
		zw := lz4.NewWriter(&b)
		if err := zw.Apply(opts...); err != nil {
			tb.Fatal(err)
		}
		w = zw
	case BZ2:
		if _, err := exec.LookPath("bzip2"); err != nil {
			testenv.Skip(tb, "bzip2 not installed")
		}
		cmd := exec.Command("bzip2", "-c")
		cmd.Stdin = bytes.NewReader(data)
		out, err := cmd.Output()
		if err != nil {
			tb.Fatal(err)
		}
		return out
	case Uncompressed:
		return data
	}
	if err != nil {
		tb.Fatal(err)
	}
	w.Write(data)
	if err := w.Close(); err != nil {
		tb.Fatal(err)
	}
	return b.Bytes()
}

func TestDecompressFormats(t *testing.T) {
	data := samplePackages(t)
	tests := []struct {
		name string
		c    Compression
		opts []lz4.Option
	}{
		{"plain", Uncompressed, nil},
		{"gz", GZ, nil},
		{"xz", XZ, nil},
		{"lzma", LZMA, nil},
		{"zst", ZST, nil},
		{"bz2", BZ2, nil},
		{"lz4", LZ4, nil},
		{"lz4 64k blocks with checksums", LZ4, []lz4.Option{lz4.BlockSizeOption(lz4.Block64Kb), lz4.BlockChecksumOption(true), lz4.ChecksumOption(true)}},
		{"lz4 4m blocks with size", LZ4, []lz4.Option{lz4.BlockSizeOption(lz4.Block4Mb), lz4.SizeOption(uint64(len(data)))}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			z := compressWith(t, tt.c, data, tt.opts...)
			r, err := Decompress(bytes.NewReader(z), tt.c)
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			got, err := io.ReadAll(r)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, data) {
				t.Fatalf("got %d bytes, want %d", len(got), len(data))
			}
		})
	}
}

// TestLZ4LinkedBlocks reads APT's own lz4 lists (linked 64 KiB blocks,
// written by liblz4) and compares with the library's frame reader.
func TestLZ4LinkedBlocks(t *testing.T) {
	files, _ := filepath.Glob("/var/lib/apt/lists/*.lz4")
	var z []byte
	if len(files) > 0 {
		var err error
		if z, err = os.ReadFile(files[0]); err != nil {
			t.Fatal(err)
		}
	} else if _, err := exec.LookPath("lz4"); err == nil {
		cmd := exec.Command("lz4", "-c", "-BD")
		cmd.Stdin = bytes.NewReader(samplePackages(t))
		if z, err = cmd.Output(); err != nil {
			t.Fatal(err)
		}
	} else {
		testenv.Skip(t, "neither lz4 lists nor the lz4 tool on this machine")
	}
	if z[4]&0x20 != 0 {
		t.Logf("%s has independent blocks", files[0])
	}
	want, err := io.ReadAll(lz4.NewReader(bytes.NewReader(z)))
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(newLZ4Reader(bytes.NewReader(z)))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("got %d bytes, want %d", len(got), len(want))
	}
	// Two frames back to back and a skippable frame in between.
	skip := []byte{0x50, 0x2A, 0x4D, 0x18, 3, 0, 0, 0, 'a', 'b', 'c'}
	double := append(append(append([]byte(nil), z...), skip...), z...)
	got, err = io.ReadAll(newLZ4Reader(bytes.NewReader(double)))
	if err != nil || !bytes.Equal(got, append(append([]byte(nil), want...), want...)) {
		t.Fatalf("concatenated frames: %d bytes, %v", len(got), err)
	}
}

func TestDecompressCorrupt(t *testing.T) {
	data := samplePackages(t)
	for _, c := range []Compression{GZ, XZ, ZST, LZ4} {
		z := compressWith(t, c, data)
		z = z[:len(z)/2]
		r, err := Decompress(bytes.NewReader(z), c)
		if err == nil {
			_, err = io.ReadAll(r)
			r.Close()
		}
		if err == nil {
			t.Errorf("%s: truncated data read without error", c)
		}
	}
	r, _ := Decompress(strings.NewReader("\x04\x22\x4d\x18\x80\x40"), LZ4)
	if _, err := io.ReadAll(r); !errors.Is(err, errLZ4) {
		t.Errorf("bad lz4 version: %v", err)
	}
}

func FuzzLZ4Frame(f *testing.F) {
	data := []byte("Package: a\nVersion: 1\n\nPackage: b\nVersion: 2\n")
	for _, opts := range [][]lz4.Option{nil, {lz4.BlockChecksumOption(true), lz4.ChecksumOption(true)}} {
		var b bytes.Buffer
		w := lz4.NewWriter(&b)
		w.Apply(opts...)
		w.Write(bytes.Repeat(data, 100))
		w.Close()
		f.Add(b.Bytes())
	}
	f.Fuzz(func(t *testing.T, z []byte) {
		// Whatever the input, no panic and bounded output.
		r := newLZ4Reader(bytes.NewReader(z))
		io.Copy(io.Discard, io.LimitReader(r, 64<<20))
	})
}
