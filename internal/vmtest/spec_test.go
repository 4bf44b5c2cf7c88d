package vmtest

import (
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/hostadm/hostadm/internal/vmtest/job"
)

func TestParseSpec(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want *Spec
	}{
		{"empty", `{}`, &Spec{}},
		{"contract example", `{"disks": [{"size": "1G"}, {"size": "1G"}], "sata": true, "nvme": true,
			"nics": 2, "ovmf": true, "timeout": "5m"}`,
			&Spec{Disks: []DiskSpec{{Size: 1 << 30}, {Size: 1 << 30}}, SATA: true, NVMe: true, NICs: 2, OVMF: true, Timeout: job.Duration(5 * time.Minute)}},
		{"every field", `{"disks": [{"size": 67108864, "bus": "scsi"}, {}], "memory": "3G", "cpus": 2, "bench_timeout": "45m",
			"modules": ["zfs", "dm-raid"], "tags": ["libzfs"], "packages": ["python3", "grub-efi-amd64-bin", "libstdc++6"]}`,
			&Spec{Disks: []DiskSpec{{Size: 64 << 20, Bus: "scsi"}, {}}, Memory: 3 << 30, CPUs: 2, BenchTimeout: job.Duration(45 * time.Minute), Modules: []string{"zfs", "dm-raid"}, Tags: []string{"libzfs"},
				Packages: []string{"python3", "grub-efi-amd64-bin", "libstdc++6"}}},
		{"fractional size", `{"disks": [{"size": "1.5G"}]}`, &Spec{Disks: []DiskSpec{{Size: 3 << 29}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseSpec("p/testdata/vm.json", []byte(tt.in))
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("spec mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseSpecErrors(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"unknown field", "{\n  \"disk\": []\n}", `p/testdata/vm.json:2:3: bad VM spec: unknown field "disk"`},
		{"syntax", "{\n  \"nics\": 2,\n}", `p/testdata/vm.json:3:1: bad VM spec: invalid character '}' looking for beginning of object key string`},
		{"type", "{\"nics\": \"two\"}", `p/testdata/vm.json:1:15: bad VM spec: json: cannot unmarshal string into Go struct field Spec.nics of type int`},
		{"bad size", `{"disks": [{"size": "1X"}]}`, `p/testdata/vm.json: bad VM spec: size "1X": want a number with an optional K, M, G or T suffix`},
		{"small disk", `{"disks": [{"size": "4K"}]}`, `p/testdata/vm.json: bad VM spec: disks[0]: size 4K: want at least 1M and a multiple of 512`},
		{"bus", `{"disks": [{"bus": "ide"}]}`, `p/testdata/vm.json: bad VM spec: disks[0]: bus "ide": want "virtio" or "scsi"`},
		{"nics", `{"nics": 9}`, `p/testdata/vm.json: bad VM spec: nics: 9: want 0 to 8`},
		{"timeout", `{"timeout": "soon"}`, `p/testdata/vm.json: bad VM spec: time: invalid duration "soon"`},
		{"module", `{"modules": ["../zfs"]}`, `p/testdata/vm.json: bad VM spec: modules: "../zfs" is not a module name`},
		{"tag", `{"tags": ["vmtest"]}`, `p/testdata/vm.json: bad VM spec: tags: "vmtest" is not an extra build tag`},
		{"package", `{"packages": ["python3", "../etc"]}`, `p/testdata/vm.json: bad VM spec: packages: "../etc" is not a Debian package name`},
		{"package option", `{"packages": ["-oDebug=1"]}`, `p/testdata/vm.json: bad VM spec: packages: "-oDebug=1" is not a Debian package name`},
		{"trailing", "{}\n{}", `p/testdata/vm.json:2:1: bad VM spec: data after the JSON object`},
		{"truncated", `{"nics": 2`, `p/testdata/vm.json:1:11: bad VM spec: unexpected end of JSON`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseSpec("p/testdata/vm.json", []byte(tt.in))
			if err == nil {
				t.Fatal("no error")
			}
			if err.Error() != tt.want {
				t.Errorf("error\n got %s\nwant %s", err, tt.want)
			}
			if !errors.Is(err, ErrSpec) {
				t.Errorf("%v does not wrap ErrSpec", err)
			}
		})
	}
}

func TestSize(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want Size
		out  string
	}{
		{"1G", 1 << 30, "1G"}, {"512M", 512 << 20, "512M"}, {"64k", 64 << 10, "64K"},
		{"1GiB", 1 << 30, "1G"}, {"2T", 2 << 40, "2T"}, {"1000", 1000, "1000"}, {"1536M", 1536 << 20, "1536M"},
	} {
		got, err := ParseSize(tt.in)
		if err != nil || got != tt.want {
			t.Errorf("ParseSize(%q) = %d, %v; want %d", tt.in, got, err, tt.want)
		}
		if got.String() != tt.out {
			t.Errorf("Size(%d).String() = %q, want %q", got, got.String(), tt.out)
		}
	}
}

func TestSpecDefaults(t *testing.T) {
	var s Spec
	if s.timeout() != DefaultTimeout || s.memory() != DefaultMemory || s.cpus() != DefaultCPUs {
		t.Errorf("defaults: %v %v %v", s.timeout(), s.memory(), s.cpus())
	}
	if s.timeoutFor(true) != DefaultTimeout {
		t.Errorf("bench timeout without bench_timeout: %v", s.timeoutFor(true))
	}
	s.Timeout, s.BenchTimeout = job.Duration(10*time.Minute), job.Duration(time.Hour)
	if s.timeoutFor(false) != 10*time.Minute || s.timeoutFor(true) != time.Hour {
		t.Errorf("timeoutFor: %v %v", s.timeoutFor(false), s.timeoutFor(true))
	}
	s.Tags = []string{"z", "libzfs"}
	if got := s.buildTags(); got != "vmtest,libzfs,z" {
		t.Errorf("buildTags() = %q", got)
	}
}

func FuzzParseSpec(f *testing.F) {
	f.Add([]byte(`{"disks": [{"size": "1G"}], "sata": true, "nvme": true, "nics": 2, "ovmf": true, "timeout": "5m"}`))
	f.Add([]byte(`{"memory": "3G", "cpus": 2, "modules": ["zfs"], "tags": ["libzfs"]}`))
	f.Add([]byte(`{"bench_timeout": "45m", "packages": ["python3", "ifupdown2"]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		s, err := ParseSpec("vm.json", b)
		if err != nil {
			if !errors.Is(err, ErrSpec) {
				t.Fatalf("error %v does not wrap ErrSpec", err)
			}
			return
		}
		for _, d := range s.Disks {
			if d.Size < 0 {
				t.Fatalf("negative disk size %d", d.Size)
			}
		}
	})
}
