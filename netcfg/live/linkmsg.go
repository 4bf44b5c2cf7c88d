package live

import (
	"encoding/binary"
	"errors"
	"net"

	"github.com/hostadm/hostadm/netcfg"
)

// Attribute numbers of linux/if_link.h and linux/rtnetlink.h that a link
// dump is read for.
const (
	iflaAddress     = 1
	iflaIfname      = 3
	iflaMTU         = 4
	iflaLink        = 5
	iflaMaster      = 10
	iflaOperstate   = 16
	iflaLinkinfo    = 18
	iflaCarrier     = 33
	iflaPermAddress = 54

	iflaInfoKind      = 1
	iflaInfoData      = 2
	iflaInfoSlaveKind = 4
	iflaInfoSlaveData = 5

	iflaBrForwardDelay    = 1
	iflaBrStpState        = 5
	iflaBrVLANFiltering   = 7
	iflaBrVLANDefaultPVID = 39

	iflaBondMode           = 1
	iflaBondMiimon         = 3
	iflaBondUpdelay        = 4
	iflaBondDowndelay      = 5
	iflaBondPrimary        = 11
	iflaBondXmitHashPolicy = 14
	iflaBondMinLinks       = 18
	iflaBondAdLACPRate     = 21

	iflaVLANID       = 1
	iflaVLANProtocol = 5

	iflaBrportLearning     = 8
	iflaBrportUnicastFlood = 9

	sizeofIfInfomsg = 16
	arphrdLoopback  = 772
	iffUp           = 0x1
	nlaTypeMask     = 0x3fff
)

var errShortLink = errors.New("link message too short")

// attrs walks the netlink attributes in b, calling fn with each type and
// payload, without allocating. It stops at the first malformed header.
func attrs(b []byte, fn func(typ uint16, v []byte)) error {
	for len(b) >= 4 {
		l := int(binary.NativeEndian.Uint16(b[0:2]))
		if l < 4 || l > len(b) {
			return errors.New("malformed attribute")
		}
		fn(binary.NativeEndian.Uint16(b[2:4])&nlaTypeMask, b[4:l])
		l = (l + 3) &^ 3
		if l > len(b) {
			break
		}
		b = b[l:]
	}
	return nil
}

// u32, u16 and u8 read a payload of exactly their size, else 0.
func u32(v []byte) uint32 {
	if len(v) != 4 {
		return 0
	}
	return binary.NativeEndian.Uint32(v)
}

func u16(v []byte) uint16 {
	if len(v) != 2 {
		return 0
	}
	return binary.NativeEndian.Uint16(v)
}

func u8(v []byte) uint8 {
	if len(v) != 1 {
		return 0
	}
	return v[0]
}

func cstr(v []byte) string {
	for i, c := range v {
		if c == 0 {
			return string(v[:i])
		}
	}
	return string(v)
}

// decodeLinkMsg reads an RTM_NEWLINK message (ifinfomsg and attributes)
// into a Link; master and parent are interface indexes for the caller to
// resolve, and a bond's primary is its index in decimal.
func decodeLinkMsg(b []byte) (l Link, master, parent uint32, err error) {
	if len(b) < sizeofIfInfomsg {
		return l, 0, 0, errShortLink
	}
	typ := binary.NativeEndian.Uint16(b[2:4])
	l.Index = int(binary.NativeEndian.Uint32(b[4:8]))
	l.Up = binary.NativeEndian.Uint32(b[8:12])&iffUp != 0
	if typ == arphrdLoopback {
		l.Kind = "loopback"
	}
	var kind, slaveKind string
	var data, slaveData []byte
	err = attrs(b[sizeofIfInfomsg:], func(t uint16, v []byte) {
		switch t {
		case iflaIfname:
			l.Name = cstr(v)
		case iflaMTU:
			l.MTU = int(u32(v))
		case iflaAddress:
			if len(v) > 0 {
				l.MAC = net.HardwareAddr(append([]byte(nil), v...))
			}
		case iflaPermAddress:
			if len(v) > 0 {
				l.PermMAC = net.HardwareAddr(append([]byte(nil), v...))
			}
		case iflaOperstate:
			if s := int(u8(v)); s < len(operStates) {
				l.OperState = operStates[s]
			}
		case iflaCarrier:
			l.Carrier = u8(v) != 0
		case iflaMaster:
			master = u32(v)
		case iflaLink:
			parent = u32(v)
		case iflaLinkinfo:
			attrs(v, func(t uint16, v []byte) {
				switch t {
				case iflaInfoKind:
					kind = cstr(v)
				case iflaInfoData:
					data = v
				case iflaInfoSlaveKind:
					slaveKind = cstr(v)
				case iflaInfoSlaveData:
					slaveData = v
				}
			})
		}
	})
	if kind != "" {
		l.Kind = kind
	}
	switch kind {
	case "bridge":
		br := &BridgeAttrs{}
		attrs(data, func(t uint16, v []byte) {
			switch t {
			case iflaBrStpState:
				br.STP = u32(v) != 0
			case iflaBrForwardDelay:
				br.ForwardDelay = int(u32(v))
			case iflaBrVLANFiltering:
				br.VLANFiltering = u8(v) != 0
			case iflaBrVLANDefaultPVID:
				br.DefaultPVID = int(u16(v))
			}
		})
		l.Bridge = br
	case "bond":
		bd := &BondAttrs{XmitHashPolicy: "layer2", LACPRate: "slow"}
		attrs(data, func(t uint16, v []byte) {
			switch t {
			case iflaBondMode:
				bd.Mode = netcfg.BondMode(u8(v))
			case iflaBondMiimon:
				bd.MIIMon = int(u32(v))
			case iflaBondUpdelay:
				bd.UpDelay = int(u32(v))
			case iflaBondDowndelay:
				bd.DownDelay = int(u32(v))
			case iflaBondMinLinks:
				bd.MinLinks = int(u32(v))
			case iflaBondXmitHashPolicy:
				bd.XmitHashPolicy = xmitName(int(u8(v)))
			case iflaBondAdLACPRate:
				if u8(v) == 1 {
					bd.LACPRate = "fast"
				}
			case iflaBondPrimary:
				if p := u32(v); p != 0 {
					bd.Primary = itoa(int(p))
				}
			}
		})
		l.Bond = bd
	case "vlan":
		vl := &VLANAttrs{Protocol: "802.1Q"}
		attrs(data, func(t uint16, v []byte) {
			switch t {
			case iflaVLANID:
				vl.ID = int(u16(v))
			case iflaVLANProtocol:
				if len(v) == 2 && binary.BigEndian.Uint16(v) == 0x88a8 {
					vl.Protocol = "802.1ad"
				}
			}
		})
		l.VLAN = vl
	}
	if slaveKind == "bridge" {
		p := &PortAttrs{}
		attrs(slaveData, func(t uint16, v []byte) {
			switch t {
			case iflaBrportLearning:
				p.Learning = u8(v) != 0
			case iflaBrportUnicastFlood:
				p.UnicastFlood = u8(v) != 0
			}
		})
		l.Port = p
	}
	return l, master, parent, err
}

var operStates = [...]string{"UNKNOWN", "NOTPRESENT", "DOWN", "LOWERLAYERDOWN", "TESTING", "DORMANT", "UP"}

var xmitNames = [...]string{"layer2", "layer3+4", "layer2+3", "encap2+3", "encap3+4", "vlan+srcmac"}

func xmitName(n int) string {
	if n >= 0 && n < len(xmitNames) {
		return xmitNames[n]
	}
	return itoa(n)
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	var b [20]byte
	i := len(b)
	neg := n < 0
	if neg {
		n = -n
	}
	for n > 0 {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
	}
	if neg {
		i--
		b[i] = '-'
	}
	return string(b[i:])
}
