package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hostadm/hostadm/lvm"
)

func TestLVMArea(t *testing.T) {
	found := storageFindings(t, fixture, "lvm")
	wantStorageFinding(t, found, "lvm.vg", OK, "volume group pve: 127.00 GiB, 13.75 GiB free", "/etc/lvm/backup/pve")
	wantStorageFinding(t, found, "lvm.thin-pool", OK, "thin pool pve/data: 71.50 GiB data, 1.00 GiB metadata, 2 thin volumes", "")
	wantStorageFinding(t, found, "lvm.storage", OK, "lvmthin storage local-lvm on pve/data", "/etc/pve/storage.cfg:5")

	// A storage entry naming a pool the metadata does not have.
	dir := t.TempDir()
	copyFixtureTree(t, filepath.Join(fixture, "etc/lvm"), filepath.Join(dir, "etc/lvm"))
	os.MkdirAll(filepath.Join(dir, "etc/pve"), 0o755)
	os.WriteFile(filepath.Join(dir, "etc/pve/storage.cfg"), []byte("lvmthin: gone\n\tthinpool vmstore\n\tvgname pve\n\tcontent images\n"), 0o644)
	found = storageFindings(t, dir, "lvm")
	wantStorageFinding(t, found, "lvm.storage", Warning, "lvmthin storage gone names pve/vmstore, which does not exist", "/etc/pve/storage.cfg:1")
}

// TestLVMLiveGrading grades what vgs and lvs report on a live host.
func TestLVMLiveGrading(t *testing.T) {
	vgs, err := lvm.ParseVGs([]byte(`{"report":[{"vg":[
		{"vg_name":"pve","vg_uuid":"u","vg_attr":"wz--n-","vg_size":"136361017344","vg_free":"14759755776","vg_extent_size":"4194304","vg_extent_count":"32511","vg_free_count":"3519","pv_count":"1","lv_count":"5","snap_count":"0","vg_missing_pv_count":"0","vg_seqno":"9","vg_tags":""},
		{"vg_name":"vmdata","vg_uuid":"v","vg_attr":"wz-pn-","vg_size":"1000","vg_free":"0","vg_extent_size":"4194304","vg_extent_count":"1","vg_free_count":"0","pv_count":"2","lv_count":"1","snap_count":"0","vg_missing_pv_count":"1","vg_seqno":"3","vg_tags":""}]}]}`))
	if err != nil {
		t.Fatal(err)
	}
	lv := func(name, attr, data, meta string) string {
		return fmt.Sprintf(`{"lv_name":%q,"vg_name":"pve","lv_uuid":"x","lv_attr":%q,"lv_size":"76772540416","lv_path":"","lv_dm_path":"","pool_lv":"","origin":"","data_percent":%q,"metadata_percent":%q,"lv_metadata_size":"1073741824","lv_layout":"thin,pool","lv_role":"private","lv_time":"","lv_tags":""}`, name, attr, data, meta)
	}
	lvs, err := lvm.ParseLVs([]byte(`{"report":[{"lv":[` + strings.Join([]string{
		lv("data", "twi-aotz--", "45.10", "2.31"),
		lv("full", "twi-aotz--", "83.00", "10.00"),
		lv("metafull", "twi-aotz--", "20.00", "91.50"),
		lv("stuck", "twi-aotzD-", "100.00", "12.00"),
		lv("off", "twi---tz--", "", ""),
	}, ",") + `]}]}`))
	if err != nil {
		t.Fatal(err)
	}
	s := &Section{Area: "lvm"}
	reportLVM(s, vgs, lvs)
	found := map[string][]Finding{}
	for _, f := range s.Findings {
		found[f.Check] = append(found[f.Check], f)
	}
	wantStorageFinding(t, found, "lvm.vg", OK, "volume group pve: 127.00 GiB, 13.75 GiB free", "")
	wantStorageFinding(t, found, "lvm.vg", Error, "volume group vmdata is missing 1 physical volume(s)", "vg vmdata")
	wantStorageFinding(t, found, "lvm.thin-pool", OK, "thin pool pve/data: 45.1% data, 2.3% metadata", "")
	wantStorageFinding(t, found, "lvm.thin-pool-full", Warning, "thin pool pve/full is 83.0% full (data)", "lv pve/full")
	wantStorageFinding(t, found, "lvm.thin-pool-full", Warning, "and 91.5% (metadata)", "lv pve/metafull")
	wantStorageFinding(t, found, "lvm.thin-pool-health", Error, "thin pool pve/stuck: out-of-data-space", "lv pve/stuck")
	wantStorageFinding(t, found, "lvm.thin-pool", Info, "thin pool pve/off is not active", "lv pve/off")
}
