package microcode

import (
	"bytes"
	"context"
	"errors"
	"os"

	"golang.org/x/sys/unix"
)

// readKmsg reads every record in the kernel's ring buffer from /dev/kmsg,
// one record per read, until the reader has caught up.
func readKmsg(ctx context.Context) ([]byte, error) {
	fd, err := unix.Open(kmsgDevice, unix.O_RDONLY|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, &os.PathError{Op: "open", Path: kmsgDevice, Err: err}
	}
	defer unix.Close(fd)
	var out bytes.Buffer
	buf := make([]byte, 8192)
	for n := 0; ; n++ {
		if n%256 == 0 && ctx.Err() != nil {
			return nil, ctx.Err()
		}
		m, err := unix.Read(fd, buf)
		switch {
		case errors.Is(err, unix.EAGAIN):
			return out.Bytes(), nil
		case errors.Is(err, unix.EPIPE):
			continue // overwritten while reading: the next read resumes
		case errors.Is(err, unix.EINTR):
			continue
		case err != nil:
			return nil, &os.PathError{Op: "read", Path: kmsgDevice, Err: err}
		case m == 0:
			return out.Bytes(), nil
		}
		rec := buf[:m]
		// Continuation lines (" KEY=value") carry device metadata.
		if i := bytes.IndexByte(rec, '\n'); i >= 0 {
			rec = rec[:i+1]
		}
		out.Write(rec)
	}
}
