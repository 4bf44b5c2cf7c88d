package fat

import "io"

// coalescer merges consecutive writes to a device into larger ones:
// go-diskfs writes a file one cluster at a time, which costs a system
// call per 4 KiB. Writes stay in order (a write that does not continue
// the pending run flushes it first) and every read flushes, so what the
// device sees is the same sequence of states, only fewer of them.
type coalescer struct {
	dev     Device
	off     int64
	pending []byte
	err     error
	// A read-ahead window: go-diskfs also reads one cluster at a time.
	rbuf []byte
	roff int64
}

const (
	coalesceMax = 8 << 20
	readAhead   = 4 << 20
)

func (c *coalescer) flush() error {
	if c.err != nil {
		return c.err
	}
	if len(c.pending) == 0 {
		return nil
	}
	_, err := c.dev.WriteAt(c.pending, c.off)
	c.pending = c.pending[:0]
	c.err = err
	return err
}

func (c *coalescer) WriteAt(p []byte, off int64) (int, error) {
	if c.err != nil {
		return 0, c.err
	}
	c.rbuf = c.rbuf[:0] // the window may hold what this overwrites
	if len(c.pending) > 0 && (off != c.off+int64(len(c.pending)) || len(c.pending)+len(p) > coalesceMax) {
		if err := c.flush(); err != nil {
			return 0, err
		}
	}
	if len(c.pending) == 0 {
		c.off = off
	}
	c.pending = append(c.pending, p...)
	return len(p), nil
}

func (c *coalescer) ReadAt(p []byte, off int64) (int, error) {
	if err := c.flush(); err != nil {
		return 0, err
	}
	if off >= c.roff && off+int64(len(p)) <= c.roff+int64(len(c.rbuf)) {
		return copy(p, c.rbuf[off-c.roff:]), nil
	}
	if len(p) >= readAhead {
		return c.dev.ReadAt(p, off)
	}
	if cap(c.rbuf) < readAhead {
		c.rbuf = make([]byte, readAhead)
	}
	c.rbuf = c.rbuf[:readAhead]
	n, err := c.dev.ReadAt(c.rbuf, off)
	c.rbuf, c.roff = c.rbuf[:n], off
	if n >= len(p) {
		return copy(p, c.rbuf), nil
	}
	c.rbuf = c.rbuf[:0]
	if err == nil {
		err = io.ErrUnexpectedEOF
	}
	return copy(p, c.rbuf[:n]), err
}

func (c *coalescer) Sync() error {
	if err := c.flush(); err != nil {
		return err
	}
	if s, ok := c.dev.(interface{ Sync() error }); ok {
		return s.Sync()
	}
	return nil
}
