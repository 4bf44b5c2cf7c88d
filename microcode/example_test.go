package microcode_test

import (
	"context"
	"fmt"
	"log"

	"github.com/hostadm/hostadm/microcode"
)

func ExampleClient_State() {
	c, err := microcode.New(&microcode.Config{Root: "../testdata/pve8"})
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	st, err := c.State(context.Background())
	if err != nil {
		log.Fatal(err)
	}
	rev, _ := st.Running()
	fmt.Printf("%s: revision %s from %s\n", st.CPUs[0].ModelName, microcode.FormatRevision(rev), st.Package)
	if st.Early.Updated {
		fmt.Printf("updated early from %s\n", microcode.FormatRevision(st.Early.From))
	}
	// Output:
	// Intel(R) Xeon(R) Silver 4110 CPU @ 2.10GHz: revision 0x2007006 from intel-microcode
	// updated early from 0x2006e05
}

func ExampleParseKernelLog() {
	u := microcode.ParseKernelLog([]byte("[    0.000000] microcode: microcode updated early to revision 0xf0, date = 2021-11-12\n"))
	fmt.Println(u.Updated, microcode.FormatRevision(u.To), u.Date)
	// Output: true 0xf0 2021-11-12
}
