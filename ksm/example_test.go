package ksm_test

import (
	"fmt"
	"log"

	"github.com/hostadm/hostadm/ksm"
)

func ExampleClient_Status() {
	c, err := ksm.New(&ksm.Config{Root: "../testdata/pve8", PageSize: 4096})
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	st, err := c.Status()
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("KSM is %s, saving %.1f GiB\n", st.Mode, float64(st.Saved())/(1<<30))
	// Output: KSM is running, saving 4.5 GiB
}

func ExampleParseTunedConfig() {
	cfg, err := ksm.ParseTunedConfig("ksmtuned.conf", []byte("# KSM_THRES_COEF=20\nKSM_THRES_COEF=30\n"))
	if err != nil {
		log.Fatal(err)
	}
	s := cfg.Settings()
	fmt.Printf("merging starts below %d MiB free on a 64 GiB host\n", s.Threshold(64<<30)>>20)
	// Output: merging starts below 19660 MiB free on a 64 GiB host
}
