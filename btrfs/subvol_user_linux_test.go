package btrfs

import "testing"

func TestFindMount(t *testing.T) {
	const mi = `22 1 0:21 / / rw,relatime shared:1 - ext4 /dev/sda1 rw
31 22 0:33 /@home /home rw,relatime shared:12 - btrfs /dev/sda2 rw,subvol=/@home
32 22 0:33 /my\040vols/x /mnt/my\040mount rw shared:13 - btrfs /dev/sda2 rw
`
	for _, tt := range []struct {
		name        string
		id          uint64
		root, point string
		ok          bool
	}{
		{"subvol mount", 31, "/@home", "/home", true},
		{"escaped", 32, "/my vols/x", "/mnt/my mount", true},
		{"prefix of another id", 3, "", "", false},
		{"missing", 99, "", "", false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			root, point, ok := findMount([]byte(mi), tt.id)
			if root != tt.root || point != tt.point || ok != tt.ok {
				t.Errorf("findMount(%d) = %q, %q, %v; want %q, %q, %v", tt.id, root, point, ok, tt.root, tt.point, tt.ok)
			}
		})
	}
}
