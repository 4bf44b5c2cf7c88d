package live

import (
	"context"
	"errors"
	"fmt"
	"os"
	"runtime"
	"unsafe"

	"github.com/mdlayher/ethtool"
	"golang.org/x/sys/unix"
)

// inNetNS runs fn on a thread that has entered the client's namespace, so
// that the sockets fn opens belong to it; with no namespace it runs fn
// directly.
func (c *Client) inNetNS(fn func() error) error {
	k, ok := c.k.(*nl)
	if !ok || k.path == "" {
		return fn()
	}
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		orig, err := unix.Open("/proc/thread-self/ns/net", unix.O_RDONLY|unix.O_CLOEXEC, 0)
		if err != nil {
			runtime.UnlockOSThread()
			errc <- err
			return
		}
		defer unix.Close(orig)
		target, err := unix.Open(k.path, unix.O_RDONLY|unix.O_CLOEXEC, 0)
		if err != nil {
			runtime.UnlockOSThread()
			errc <- err
			return
		}
		err = unix.Setns(target, unix.CLONE_NEWNET)
		unix.Close(target)
		if err != nil {
			runtime.UnlockOSThread()
			errc <- os.NewSyscallError("setns", err)
			return
		}
		ferr := fn()
		if err := unix.Setns(orig, unix.CLONE_NEWNET); err != nil {
			errc <- os.NewSyscallError("setns back", err) // the thread stays locked and ends
			return
		}
		runtime.UnlockOSThread()
		errc <- ferr
	}()
	return <-errc
}

// ethtoolClient opens the ethtool generic netlink family in the client's
// namespace.
func (c *Client) ethtoolClient() (*ethtool.Client, error) {
	var ec *ethtool.Client
	err := c.inNetNS(func() error {
		var err error
		ec, err = ethtool.New()
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("ethtool netlink: %w", err)
	}
	return ec, nil
}

// ethtoolWolinfo is struct ethtool_wolinfo.
type ethtoolWolinfo struct {
	Cmd       uint32
	Supported uint32
	Wolopts   uint32
	Sopass    [6]uint8
	_         [2]uint8
}

// ifreqData is struct ifreq with ifr_data; its union is as large as its
// largest member, struct ifmap (two longs, a short and three bytes).
type ifreqData struct {
	Name [unix.IFNAMSIZ]byte
	Data unsafe.Pointer
	_    [unsafe.Sizeof(uintptr(0)) + 8]byte
}

const ethtoolGWOL = 0x00000005

// getWoL reads supported and enabled Wake-on-LAN modes with the
// SIOCETHTOOL ioctl (ETHTOOL_GWOL); the netlink interface reports only
// the enabled ones.
func getWoL(fd int, name string) (supported, enabled WoLModes, err error) {
	if len(name) >= unix.IFNAMSIZ {
		return 0, 0, fmt.Errorf("%s: %w", name, ErrNotFound)
	}
	w := ethtoolWolinfo{Cmd: ethtoolGWOL}
	var ifr ifreqData
	copy(ifr.Name[:], name)
	ifr.Data = unsafe.Pointer(&w)
	_, _, errno := unix.Syscall(unix.SYS_IOCTL, uintptr(fd), unix.SIOCETHTOOL, uintptr(unsafe.Pointer(&ifr)))
	runtime.KeepAlive(&w)
	if errno != 0 {
		return 0, 0, os.NewSyscallError("ioctl ETHTOOL_GWOL", errno)
	}
	return WoLModes(w.Supported), WoLModes(w.Wolopts), nil
}

func (c *Client) nic(ctx context.Context, name string) (*NIC, error) {
	if _, err := c.Link(ctx, name); err != nil {
		return nil, err
	}
	n := &NIC{Name: name}
	err := c.inNetNS(func() error {
		fd, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
		if err != nil {
			return os.NewSyscallError("socket", err)
		}
		defer unix.Close(fd)
		if di, err := unix.IoctlGetEthtoolDrvinfo(fd, name); err == nil {
			n.Driver = unix.ByteSliceToString(di.Driver[:])
			n.DriverVersion = unix.ByteSliceToString(di.Version[:])
			n.Firmware = unix.ByteSliceToString(di.Fw_version[:])
			n.BusInfo = unix.ByteSliceToString(di.Bus_info[:])
		} else if !errors.Is(err, unix.EOPNOTSUPP) {
			return os.NewSyscallError("ioctl ETHTOOL_GDRVINFO", err)
		}
		if sup, en, err := getWoL(fd, name); err == nil {
			n.WoLSupported, n.WoL, n.WoLKnown = sup, en, true
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	ec, err := c.ethtoolClient()
	if err != nil {
		return n, err
	}
	defer ec.Close()
	ifi := ethtool.Interface{Name: name}
	if lm, err := ec.LinkMode(ifi); err == nil {
		if lm.SpeedMegabits > 0 && lm.SpeedMegabits != int(^uint32(0)) {
			n.Speed = lm.SpeedMegabits
		}
		switch lm.Duplex {
		case ethtool.Full:
			n.Duplex = "full"
		case ethtool.Half:
			n.Duplex = "half"
		}
		n.Autoneg = lm.Autoneg == ethtool.AutonegOn
		for _, m := range lm.Ours {
			n.Advertised = append(n.Advertised, m.Name)
		}
	} else if !errors.Is(err, os.ErrNotExist) && !errors.Is(err, unix.EOPNOTSUPP) {
		return n, fmt.Errorf("ethtool link modes of %s: %w", name, err)
	}
	if ls, err := ec.LinkState(ifi); err == nil {
		n.Link = ls.Link
	}
	if !n.WoLKnown {
		if w, err := ec.WakeOnLAN(ifi); err == nil {
			n.WoL, n.WoLKnown = WoLModes(w.Modes), true
		}
	}
	return n, nil
}

func (c *Client) setWoL(ctx context.Context, name string, modes WoLModes) error {
	if _, err := c.Link(ctx, name); err != nil {
		return err
	}
	ec, err := c.ethtoolClient()
	if err != nil {
		return err
	}
	defer ec.Close()
	if err := ec.SetWakeOnLAN(ethtool.WakeOnLAN{Interface: ethtool.Interface{Name: name}, Modes: ethtool.WOLMode(modes)}); err != nil {
		return fmt.Errorf("ethtool -s %s wol %s: %w", name, modes, err)
	}
	return nil
}

func (c *Client) setLinkMode(ctx context.Context, name string, ch LinkModeChange) error {
	if _, err := c.Link(ctx, name); err != nil {
		return err
	}
	u := &ethtool.LinkModeUpdate{SpeedMegabits: ch.Speed}
	if ch.Duplex != nil {
		var d ethtool.Duplex
		switch *ch.Duplex {
		case "full":
			d = ethtool.Full
		case "half":
			d = ethtool.Half
		default:
			return fmt.Errorf("duplex %q: want full or half", *ch.Duplex)
		}
		u.Duplex = &d
	}
	if ch.Autoneg != nil {
		a := ethtool.AutonegOff
		if *ch.Autoneg {
			a = ethtool.AutonegOn
		}
		u.Autoneg = &a
	}
	ec, err := c.ethtoolClient()
	if err != nil {
		return err
	}
	defer ec.Close()
	if err := ec.UpdateLinkMode(ethtool.Interface{Name: name}, u); err != nil {
		return fmt.Errorf("ethtool -s %s: %w", name, err)
	}
	return nil
}
