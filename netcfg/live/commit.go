package live

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/hostadm/hostadm/netcfg"
)

// ErrInvalid marks a pending configuration that validation rejects; it is
// not committed.
var ErrInvalid = errors.New("pending configuration has errors")

// Commit makes the pending interfaces.new of h live and applies it, as
// Proxmox VE's "Apply Configuration" does (it moves the staging file over
// /etc/network/interfaces, then runs "ifreload -a"): the pending file is
// validated and planned first, so that an error stops it before anything
// changes; then the file is committed and the new configuration applied
// with the old one as Options.Previous (interfaces it drops are taken
// down). If the apply fails, the kernel state is restored and so is the
// old file, with the new one back as the pending change.
//
// expect is the digest of the pending file the caller reviewed (from
// netcfg.Host.Pending), "" for any. With within > 0 the commit waits for
// confirmation like ApplyConfirm, and an unconfirmed commit restores file
// and state; with 0 it returns a finished transaction.
func (c *Client) Commit(ctx context.Context, h *netcfg.Host, expect string, opts *Options, within time.Duration) (*Transaction, error) {
	cur, err := h.Current()
	if err != nil {
		return nil, err
	}
	pending, err := h.Pending()
	if err != nil {
		return nil, err
	}
	if !pending.Exists {
		return nil, netcfg.ErrNoPending
	}
	n := pending.Network()
	if findings := n.Validate(); netcfg.HasErrors(findings) {
		var errs []error
		for _, f := range findings {
			if f.Severity == netcfg.SeverityError {
				errs = append(errs, f)
			}
		}
		return nil, fmt.Errorf("%w: %w", ErrInvalid, errors.Join(errs...))
	}
	o := Options{}
	if opts != nil {
		o = *opts
	}
	if o.Previous == nil && cur.Exists {
		o.Previous = cur.Network()
	}
	// Plan before committing: a configuration that cannot be applied
	// is refused while the file is untouched.
	if _, err := c.Plan(ctx, n, &o); err != nil {
		return nil, err
	}
	committed, err := h.Commit(ctx, expect)
	if err != nil {
		return nil, err
	}
	undoFile := func(ctx context.Context) error {
		if err := h.Rollback(ctx, committed); err != nil {
			return fmt.Errorf("restoring %s: %w", h.Path(), err)
		}
		return nil
	}
	var tx *Transaction
	if within > 0 {
		tx, err = c.applyConfirm(ctx, n, &o, within, undoFile)
	} else {
		var res *Result
		res, err = c.Apply(ctx, n, &o)
		tx = &Transaction{Result: res, done: make(chan struct{}), finished: true, err: err}
		close(tx.done)
	}
	if err != nil {
		if ferr := undoFile(context.WithoutCancel(ctx)); ferr != nil {
			err = errors.Join(err, ferr)
		}
		return tx, err
	}
	return tx, nil
}
