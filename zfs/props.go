package zfs

import (
	"fmt"
	"strconv"
	"strings"
)

// Property is one property of a pool or dataset as zfs get and zpool get
// report it.
type Property struct {
	Name  string `json:"name"`
	Value string `json:"value"`
	// Source is "local", "default", "inherited from NAME", "temporary",
	// "received" or "-" (read-only and feature properties).
	Source string `json:"source"`
}

// Compression algorithms the admin guide recommends or mentions; every
// value ZFS accepts is listed by ValidateCompression.
const (
	CompressionLZ4  = "lz4"  // the recommended algorithm
	CompressionOff  = "off"  // no compression
	CompressionZSTD = "zstd" // zstd at its default level 3
)

// ValidateCompression checks a compression property value: on, off, lz4,
// lzjb, zle, gzip, gzip-1 to gzip-9, zstd, zstd-1 to zstd-19, zstd-fast
// and zstd-fast-N (1 to 10, 20 to 100 in steps of 10, 500, 1000).
// Errors match ErrInvalid.
func ValidateCompression(v string) error {
	switch v {
	case "on", "off", "lz4", "lzjb", "zle", "gzip", "zstd", "zstd-fast":
		return nil
	}
	for _, p := range []struct {
		prefix string
		ok     func(n int) bool
	}{
		{"gzip-", func(n int) bool { return n >= 1 && n <= 9 }},
		{"zstd-fast-", func(n int) bool { return n >= 1 && n <= 10 || n <= 100 && n%10 == 0 && n > 0 || n == 500 || n == 1000 }},
		{"zstd-", func(n int) bool { return n >= 1 && n <= 19 }},
	} {
		if rest, ok := strings.CutPrefix(v, p.prefix); ok {
			n, err := strconv.Atoi(rest)
			if err == nil && rest[0] != '+' && p.ok(n) {
				return nil
			}
			break
		}
	}
	return invalidf("compression %q: want lz4, lzjb, gzip-N (1 to 9), zstd, zstd-N, zle, on or off", v)
}

// DefaultRecordsize is the recordsize of a dataset that does not set it.
const DefaultRecordsize = 128 * KiB

// CheckSpecialSmallBlocks validates a special_small_blocks value: 0 to
// store no file blocks on the special device, or a power of two from 512
// bytes to 1 MiB. It returns a warning when the value reaches the
// dataset's recordsize (zero means the default 128K), because then every
// data block goes to the special device. Errors match ErrInvalid.
func CheckSpecialSmallBlocks(size, recordsize uint64) (warning string, err error) {
	if size == 0 {
		return "", nil
	}
	if size < 512 || size > MiB || size&(size-1) != 0 {
		return "", invalidf("special_small_blocks %d: want 0 or a power of two from 512 to 1M", size)
	}
	if recordsize == 0 {
		recordsize = DefaultRecordsize
	}
	if size >= recordsize {
		return fmt.Sprintf("special_small_blocks=%s reaches the recordsize %s: all data will be written to the special device",
			FormatSize(size), FormatSize(recordsize)), nil
	}
	return "", nil
}

// ValidateVolblocksize checks a zvol's volblocksize: a power of two from
// 512 bytes to 128K (ZFS 2.1's limit without large blocks).
func ValidateVolblocksize(size uint64) error {
	if size < 512 || size > 128*KiB || size&(size-1) != 0 {
		return invalidf("volblocksize %d: want a power of two from 512 to 128K", size)
	}
	return nil
}
