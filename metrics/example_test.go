package metrics_test

import (
	"fmt"
	"log"
	"math"
	"time"

	"github.com/hostadm/hostadm/metrics"
)

func ExampleAppendLine() {
	p := metrics.Point{
		Measurement: "nics",
		Tags:        []metrics.Tag{{Key: "object", Value: "nodes"}, {Key: "host", Value: "pve1"}, {Key: "instance", Value: "vmbr0"}},
		Fields:      []metrics.Field{{Key: "receive", Value: uint64(1234)}, {Key: "rate", Value: math.NaN()}},
		Time:        time.Unix(1722988800, 0),
	}
	line, err := metrics.AppendLine(nil, p)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Print(string(line))
	fmt.Print(string(metrics.AppendGraphite(nil, "proxmox", p)))
	// Output:
	// nics,object=nodes,host=pve1,instance=vmbr0 receive=1234i 1722988800000000000
	// proxmox.nodes.pve1.nics.vmbr0.receive 1234 1722988800
}

func ExampleServer_WriteURL() {
	s := metrics.Server{Type: metrics.InfluxDB, ID: "influx", Server: "influx.example.com", Port: 8086, InfluxDBProto: metrics.HTTPS, Bucket: "pve"}
	fmt.Println(s.WriteURL())
	// Output: https://influx.example.com:8086/api/v2/write?bucket=pve&org=proxmox&precision=ns
}
