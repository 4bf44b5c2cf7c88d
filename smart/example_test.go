package smart_test

import (
	"fmt"
	"log"
	"os"

	"github.com/hostadm/hostadm/smart"
)

func ExampleParseSmartctlJSON() {
	data, err := os.ReadFile("testdata/smartctl-sas-ssd.json")
	if err != nil {
		log.Fatal(err)
	}
	r, status, err := smart.ParseSmartctlJSON(data)
	if err != nil || status.Fatal() {
		log.Fatal(status, err)
	}
	fmt.Printf("%s %s: %s, %d%% life left\n", r.Device, r.Model, r.Health, *r.Wearout)
	// Output: /dev/sdc HGST HUSMM3240ASS204: PASSED, 97% life left
}

func ExampleParseSmartdConf() {
	conf, err := smart.ParseSmartdConf("smartd.conf", []byte("DEVICESCAN -d removable -n standby -m root -M exec /usr/share/smartmontools/smartd-runner\n"))
	if err != nil {
		log.Fatal(err)
	}
	scan, _ := conf.Scan()
	fmt.Println(scan.MonitorsAll(), scan.Mail())
	// Output: true root
}
