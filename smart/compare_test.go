package smart

import (
	"fmt"
	"testing"
)

// compareReports lists the fields on which a native report and a
// smartctl report of the same disk disagree. Fields only one source has
// (smartctl's messages, fields smartctl derives from its drive database)
// are not compared.
func compareReports(native, smartctl *Report) []string {
	var diffs []string
	check := func(field string, a, b any) {
		if fmt.Sprint(a) != fmt.Sprint(b) {
			diffs = append(diffs, fmt.Sprintf("%s: native %v, smartctl %v", field, a, b))
		}
	}
	deref := func(p any) any {
		switch v := p.(type) {
		case *int:
			if v != nil {
				return *v
			}
		case *uint64:
			if v != nil {
				return *v
			}
		}
		return "<nil>"
	}
	check("transport", native.Transport, smartctl.Transport)
	check("model", native.Model, smartctl.Model)
	check("serial", native.Serial, smartctl.Serial)
	check("firmware", native.Firmware, smartctl.Firmware)
	check("capacity", native.Capacity, smartctl.Capacity)
	check("health", native.Health, smartctl.Health)
	check("smart available", native.SMARTAvailable, smartctl.SMARTAvailable)
	check("smart enabled", native.SMARTEnabled, smartctl.SMARTEnabled)
	check("temperature", deref(native.Temperature), deref(smartctl.Temperature))
	check("power on hours", deref(native.PowerOnHours), deref(smartctl.PowerOnHours))
	check("power cycles", deref(native.PowerCycles), deref(smartctl.PowerCycles))
	check("wearout", deref(native.Wearout), deref(smartctl.Wearout))
	if native.Transport == ATA {
		check("logical block size", native.LogicalBlockSize, smartctl.LogicalBlockSize)
		check("physical block size", native.PhysicalBlockSize, smartctl.PhysicalBlockSize)
	}
	check("attribute count", len(native.Attributes), len(smartctl.Attributes))
	for i := range min(len(native.Attributes), len(smartctl.Attributes)) {
		n, s := native.Attributes[i], smartctl.Attributes[i]
		check(fmt.Sprintf("attribute %d", s.ID), fmt.Sprintf("%+v", n), fmt.Sprintf("%+v", s))
	}
	if (native.NVMe == nil) != (smartctl.NVMe == nil) {
		diffs = append(diffs, "NVMe health log on one side only")
	} else if native.NVMe != nil {
		check("nvme", fmt.Sprintf("%+v", *native.NVMe), fmt.Sprintf("%+v", *smartctl.NVMe))
	}
	return diffs
}

// mustCompare fails t on every disagreement.
func mustCompare(t testing.TB, native, smartctl *Report) {
	t.Helper()
	for _, d := range compareReports(native, smartctl) {
		t.Error(d)
	}
}
