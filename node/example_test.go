package node_test

import (
	"fmt"
	"log"

	"github.com/hostadm/hostadm/node"
)

func ExampleConfigFile_SetACMEDomain() {
	cf, err := node.ParseConfigFile("config", []byte("#rack 3\nacme: domains=pve1.example.com\nwakeonlan: 52:54:00:12:34:56\n"))
	if err != nil {
		log.Fatal(err)
	}
	if err := cf.SetACMEDomain(0, node.ACMEDomain{Domain: "PVE.Example.NET", Plugin: "ovh"}); err != nil {
		log.Fatal(err)
	}
	fmt.Print(string(cf.Format()))
	// Output:
	// #rack 3
	// acme: domains=pve1.example.com
	// acmedomain0: pve.example.net,plugin=ovh
	// wakeonlan: 52:54:00:12:34:56
}

func ExampleParseUPID() {
	u, err := node.ParseUPID("UPID:pve1:00010D94:001CA6EA:6124E1B9:vzdump:100:root@pam:")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(u.Node, u.Type, u.ID, u.User, u.StartTime.Format("2006-01-02 15:04:05"))
	fmt.Println(u.LogPath())
	// Output:
	// pve1 vzdump 100 root@pam 2021-08-24 12:10:33
	// /var/log/pve/tasks/9/UPID:pve1:00010D94:001CA6EA:6124E1B9:vzdump:100:root@pam:
}

func ExampleClient_Tasks() {
	c, err := node.New(&node.Config{Root: "../testdata/pve8"})
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	// pvenode task list --errors --vmid 100
	tasks, err := c.Tasks(node.TaskFilter{Errors: true, VMID: "100"})
	if err != nil {
		log.Fatal(err)
	}
	for _, t := range tasks {
		fmt.Println(t.UPID.Type, t.UPID.ID, t.Status)
	}
	// Output: vzdump 100 job errors
}
