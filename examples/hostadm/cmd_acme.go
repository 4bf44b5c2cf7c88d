package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/hostadm/hostadm/acme"
)

// acmeFlags are the options the acme commands share.
type acmeFlags struct {
	node      string
	noRestart bool
	httpAddr  string
}

func (f *acmeFlags) register(fl *flag.FlagSet) {
	fl.StringVar(&f.node, "node", "", "work for `NODE` (default: the node /etc/pve/local points to)")
	fl.BoolVar(&f.noRestart, "no-restart", false, "do not restart pveproxy after a certificate change")
	fl.StringVar(&f.httpAddr, "http-addr", "", "listen `ADDR` of the standalone http-01 server (default :80)")
}

// acmeClient opens the client; progress goes to stdout, or stderr with
// --json. With --root other than "/", pveproxy is not restarted.
func (f *acmeFlags) client(env *Env) (*acme.Client, error) {
	progress := env.Stdout
	if env.JSON {
		progress = env.Stderr
	}
	c, err := acme.New(&acme.Config{
		Root: env.Root, Node: f.node, HTTPAddr: f.httpAddr,
		NoRestart: f.noRestart || env.Root != "/" && env.Root != "",
		Progress:  func(line string) { fmt.Fprintln(progress, line) },
	})
	if err != nil {
		return nil, err
	}
	return c, nil
}

func init() {
	f := &acmeFlags{}
	var (
		directory, eabKID, eabKey string
		staging, agree            bool
		api, dataFile, nodes      string
		delay                     int
		disable, showData         bool
		force, revoke, ifDue      bool
		keyType                   string
	)
	common := f.register
	register(&Command{
		Name:    "acme",
		Summary: "ACME accounts, challenge plugins and the node's certificate",
		Help: `Accounts live in /etc/pve/priv/acme, plugins in /etc/pve/priv/acme/plugins.cfg,
the node's domains in /etc/pve/nodes/NODE/config (acme: and acmedomainN:),
the certificate in /etc/pve/local/pveproxy-ssl.pem and .key.`,
		Sub: []*Command{
			{
				Name: "account", Summary: "manage ACME accounts",
				Sub: []*Command{
					{
						Name: "register", Args: "NAME MAIL...", Summary: "register an account with the CA",
						Help: `Generates a key, shows the CA's terms of service and asks to agree
(or --agree-tos), registers and writes /etc/pve/priv/acme/NAME.
JSON: {"name", "location", "directory", "tos", "contact", "status"}.`,
						Flags: func(fl *flag.FlagSet) {
							common(fl)
							fl.StringVar(&directory, "directory", acme.LetsEncrypt, "ACME directory `URL`")
							fl.BoolVar(&staging, "staging", false, "use Let's Encrypt's staging directory")
							fl.BoolVar(&agree, "agree-tos", false, "agree to the CA's terms of service without asking")
							fl.StringVar(&eabKID, "eab-kid", "", "External Account Binding key `ID`")
							fl.StringVar(&eabKey, "eab-hmac-key", "", "External Account Binding HMAC `KEY` (base64url)")
						},
						Run: func(ctx context.Context, env *Env, args []string) error {
							if len(args) < 2 {
								return usagef("acme account register: want NAME and a contact e-mail")
							}
							c, err := f.client(env)
							if err != nil {
								return err
							}
							defer c.Close()
							if staging {
								directory = acme.LetsEncryptStaging
							}
							opt := acme.RegisterOptions{Directory: directory, Contact: args[1:]}
							if eabKID != "" || eabKey != "" {
								opt.EAB = &acme.EAB{KID: eabKID, HMACKey: eabKey}
							}
							in := bufio.NewReader(env.Stdin)
							opt.AgreeTOS = func(tos string) bool {
								fmt.Fprintf(env.Stderr, "Terms of Service: %s\n", tos)
								if agree {
									return true
								}
								fmt.Fprintf(env.Stderr, "Do you agree to the above terms? [y|N]")
								line, _ := in.ReadString('\n')
								return strings.EqualFold(strings.TrimSpace(line), "y")
							}
							a, err := c.Register(ctx, args[0], opt)
							if err != nil {
								return err
							}
							if env.JSON {
								return env.PrintJSON(a)
							}
							return nil
						},
					},
					{
						Name: "list", Summary: "list the registered accounts",
						Help:  `JSON: [{"name", "location", "directory", "tos", "contact", "status"}].`,
						Flags: common,
						Run: func(ctx context.Context, env *Env, args []string) error {
							c, err := f.client(env)
							if err != nil {
								return err
							}
							defer c.Close()
							names, err := c.Accounts()
							if err != nil {
								return err
							}
							accts := []*acme.Account{}
							for _, n := range names {
								a, err := c.Account(n)
								if err != nil {
									return err
								}
								accts = append(accts, a)
							}
							if env.JSON {
								return env.PrintJSON(accts)
							}
							tw := env.Table()
							fmt.Fprintln(tw, "NAME\tSTATUS\tCONTACT\tDIRECTORY")
							for _, a := range accts {
								fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", a.Name, a.Status, strings.Join(a.Contact, ","), a.Directory)
							}
							return tw.Flush()
						},
					},
					{
						Name: "update", Args: "NAME [MAIL...]", Summary: "set an account's contacts, or refresh it from the CA",
						Flags: common,
						Run: func(ctx context.Context, env *Env, args []string) error {
							if len(args) < 1 {
								return usagef("acme account update: want NAME")
							}
							c, err := f.client(env)
							if err != nil {
								return err
							}
							defer c.Close()
							a, err := c.UpdateAccount(ctx, args[0], args[1:])
							if err != nil {
								return err
							}
							if env.JSON {
								return env.PrintJSON(a)
							}
							fmt.Fprintf(env.Stdout, "%s: %s, %s\n", a.Name, a.Status, strings.Join(a.Contact, ","))
							return nil
						},
					},
					{
						Name: "deactivate", Args: "NAME", Summary: "deactivate an account at the CA and set its file aside",
						Help:  `JSON: {"name", "renamed_to"}.`,
						Flags: common,
						Run: func(ctx context.Context, env *Env, args []string) error {
							if len(args) != 1 {
								return usagef("acme account deactivate: want NAME")
							}
							c, err := f.client(env)
							if err != nil {
								return err
							}
							defer c.Close()
							to, err := c.DeactivateAccount(ctx, args[0])
							if err != nil {
								return err
							}
							if env.JSON {
								return env.PrintJSON(map[string]string{"name": args[0], "renamed_to": to})
							}
							return nil
						},
					},
				},
			},
			{
				Name: "plugin", Summary: "manage challenge plugins",
				Sub: []*Command{
					{
						Name: "add", Args: "standalone|dns ID", Summary: "add a plugin",
						Help: `--data names a file of KEY=VALUE lines (the DNS API's credentials), or - for
standard input; values may contain spaces. api "nsupdate" runs natively
(RFC 2136 with TSIG); other APIs run through proxmox-acme.`,
						Flags: func(fl *flag.FlagSet) {
							common(fl)
							fl.StringVar(&api, "api", "", "DNS `API` name (nsupdate, ovh, cf, ...)")
							fl.StringVar(&dataFile, "data", "", "`FILE` with the plugin data")
							fl.IntVar(&delay, "validation-delay", -1, "`SECONDS` to wait before validation (default 30 for dns)")
							fl.StringVar(&nodes, "nodes", "", "comma-separated `NODES` the plugin is for (default all)")
							fl.BoolVar(&disable, "disable", false, "add it disabled")
						},
						Run: func(ctx context.Context, env *Env, args []string) error {
							if len(args) != 2 {
								return usagef("acme plugin add: want TYPE and ID")
							}
							p := acme.Plugin{Type: args[0], ID: args[1], API: api, Disable: disable}
							if nodes != "" {
								p.Nodes = strings.Split(nodes, ",")
							}
							if delay >= 0 {
								d := time.Duration(delay) * time.Second
								p.ValidationDelay = &d
							}
							if dataFile != "" {
								data, err := readInput(env, dataFile)
								if err != nil {
									return err
								}
								p.Data = string(data)
							}
							c, err := f.client(env)
							if err != nil {
								return err
							}
							defer c.Close()
							return c.AddPlugin(ctx, p)
						},
					},
					{
						Name: "list", Summary: "list the plugins",
						Help:  `JSON: [{"plugin", "type", "api", "validation-delay" (ns), "nodes", "disable"}]; data is never shown.`,
						Flags: common,
						Run: func(ctx context.Context, env *Env, args []string) error {
							c, err := f.client(env)
							if err != nil {
								return err
							}
							defer c.Close()
							ps, err := c.Plugins()
							if err != nil {
								return err
							}
							if env.JSON {
								return env.PrintJSON(ps)
							}
							tw := env.Table()
							fmt.Fprintln(tw, "PLUGIN\tTYPE\tAPI\tDELAY\tNODES\tDISABLED")
							for _, p := range ps {
								fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%v\n", p.ID, p.Type, orDash(p.API), p.Delay(), orDash(strings.Join(p.Nodes, ",")), p.Disable)
							}
							return tw.Flush()
						},
					},
					{
						Name: "config", Args: "ID", Summary: "show a plugin's settings",
						Help: `Data values are hidden unless --show-data.
JSON: {"plugin", "type", "api", "validation-delay", "nodes", "disable", "data": [{"key", "value"}]}.`,
						Flags: func(fl *flag.FlagSet) {
							common(fl)
							fl.BoolVar(&showData, "show-data", false, "show the plugin data values (credentials)")
						},
						Run: func(ctx context.Context, env *Env, args []string) error {
							if len(args) != 1 {
								return usagef("acme plugin config: want ID")
							}
							c, err := f.client(env)
							if err != nil {
								return err
							}
							defer c.Close()
							p, err := c.Plugin(args[0])
							if err != nil {
								return err
							}
							vars, err := p.Vars()
							if err != nil {
								return err
							}
							type kv struct {
								Key   string `json:"key"`
								Value string `json:"value"`
							}
							data := []kv{}
							for _, v := range vars {
								if !showData {
									v.Value = "<hidden>"
								}
								data = append(data, kv{v.Key, v.Value})
							}
							if env.JSON {
								return env.PrintJSON(struct {
									acme.Plugin
									Data []kv `json:"data"`
								}{p, data})
							}
							tw := env.Table()
							fmt.Fprintf(tw, "plugin\t%s\ntype\t%s\n", p.ID, p.Type)
							if p.API != "" {
								fmt.Fprintf(tw, "api\t%s\nvalidation-delay\t%d\n", p.API, int(p.Delay().Seconds()))
							}
							for i, d := range data {
								label := ""
								if i == 0 {
									label = "data"
								}
								fmt.Fprintf(tw, "%s\t%s=%s\n", label, d.Key, d.Value)
							}
							if len(p.Nodes) > 0 {
								fmt.Fprintf(tw, "nodes\t%s\n", strings.Join(p.Nodes, ","))
							}
							if p.Disable {
								fmt.Fprintf(tw, "disable\t1\n")
							}
							return tw.Flush()
						},
					},
					{
						Name: "remove", Args: "ID", Summary: "remove a plugin",
						Flags: common,
						Run: func(ctx context.Context, env *Env, args []string) error {
							if len(args) != 1 {
								return usagef("acme plugin remove: want ID")
							}
							c, err := f.client(env)
							if err != nil {
								return err
							}
							defer c.Close()
							return c.RemovePlugin(ctx, args[0])
						},
					},
				},
			},
			{
				Name: "order", Summary: "order a certificate for the node's domains and install it",
				Help: `Prints each step as pvenode acme cert order does.
JSON (progress then goes to stderr): {"order_url", "cert_url", "domains", "notafter", "cert_file", "key_file"}.`,
				Flags: func(fl *flag.FlagSet) {
					common(fl)
					fl.BoolVar(&force, "force", false, "replace an existing custom certificate")
					fl.StringVar(&keyType, "key-type", "rsa4096", "certificate key `TYPE`: rsa2048, rsa4096, ec256, ec384")
				},
				Run: func(ctx context.Context, env *Env, args []string) error {
					if len(args) != 0 {
						return usagef("acme order: no arguments")
					}
					c, err := f.client(env)
					if err != nil {
						return err
					}
					defer c.Close()
					res, err := c.Order(ctx, acme.OrderOptions{Force: force, KeyType: acme.KeyType(keyType)})
					return printResult(env, res, err)
				},
			},
			{
				Name: "renew", Summary: "renew the certificate when it expires within 30 days",
				Help: `--if-due is for a daily timer: it does nothing (exit 0) when the certificate
is not due or the node has no ACME domains. JSON: as acme order, plus "revoked" and "revoke_error".`,
				Flags: func(fl *flag.FlagSet) {
					common(fl)
					fl.BoolVar(&force, "force", false, "renew even if the certificate is not due")
					fl.BoolVar(&revoke, "revoke", false, "revoke the old certificate after renewing")
					fl.BoolVar(&ifDue, "if-due", false, "succeed quietly when nothing is due")
					fl.StringVar(&keyType, "key-type", "rsa4096", "certificate key `TYPE`: rsa2048, rsa4096, ec256, ec384")
				},
				Run: func(ctx context.Context, env *Env, args []string) error {
					c, err := f.client(env)
					if err != nil {
						return err
					}
					defer c.Close()
					opt := acme.RenewOptions{OrderOptions: acme.OrderOptions{Force: force, KeyType: acme.KeyType(keyType)}, Revoke: revoke}
					if ifDue {
						res, err := c.RenewIfDue(ctx, opt)
						if err == nil && res == nil {
							if env.JSON {
								return env.PrintJSON(map[string]bool{"renewed": false})
							}
							fmt.Fprintln(env.Stdout, "Certificate is not due for renewal")
							return nil
						}
						return printResult(env, res, err)
					}
					res, err := c.Renew(ctx, opt)
					return printResult(env, res, err)
				},
			},
			{
				Name: "cert", Summary: "show and upload certificates",
				Sub: []*Command{
					{
						Name: "info", Summary: "show the node's certificates",
						Help: `Lists the cluster CA, the default node certificate and the custom certificate.
JSON: [{"filename", "fingerprint", "subject", "issuer", "notbefore", "notafter", "san",
"public-key-type", "public-key-bits", "chain-length", "pem"}].`,
						Flags: common,
						Run: func(ctx context.Context, env *Env, args []string) error {
							c, err := f.client(env)
							if err != nil {
								return err
							}
							defer c.Close()
							certs, err := c.Certificates()
							if err != nil {
								return err
							}
							if env.JSON {
								return env.PrintJSON(certs)
							}
							for i, ci := range certs {
								if i > 0 {
									fmt.Fprintln(env.Stdout)
								}
								tw := env.Table()
								fmt.Fprintf(tw, "filename\t%s\nsubject\t%s\nissuer\t%s\nnotbefore\t%s\nnotafter\t%s\nsan\t%s\nkey\t%s %d bits\nfingerprint\t%s\n",
									ci.Filename, ci.Subject, ci.Issuer, ci.NotBefore.Format(time.RFC3339), ci.NotAfter.Format(time.RFC3339),
									strings.Join(ci.SANs, ", "), ci.PublicKeyType, ci.PublicKeyBits, ci.Fingerprint)
								tw.Flush()
							}
							return nil
						},
					},
					{
						Name: "upload", Args: "CERT [KEY]", Summary: "install a custom certificate chain and key",
						Help: `Checks that the key matches and is not encrypted, the chain is in order, the
certificate is valid now and covers the node's names (from /etc/hosts).
CERT and KEY are files, or - for standard input; KEY may be left out when
CERT holds the key too. JSON: the certificate's info, as cert info.`,
						Flags: func(fl *flag.FlagSet) {
							common(fl)
							fl.BoolVar(&force, "force", false, "replace an existing custom certificate")
						},
						Run: func(ctx context.Context, env *Env, args []string) error {
							if len(args) < 1 || len(args) > 2 {
								return usagef("acme cert upload: want CERT [KEY]")
							}
							chain, err := readInput(env, args[0])
							if err != nil {
								return err
							}
							var key []byte
							if len(args) == 2 {
								if key, err = readInput(env, args[1]); err != nil {
									return err
								}
							}
							c, err := f.client(env)
							if err != nil {
								return err
							}
							defer c.Close()
							ci, err := c.Upload(ctx, chain, key, acme.UploadOptions{Force: force})
							if err != nil {
								return err
							}
							if env.JSON {
								return env.PrintJSON(ci)
							}
							fmt.Fprintf(env.Stdout, "installed %s for %s, expires %s\n", ci.Filename, strings.Join(ci.SANs, ", "), ci.NotAfter.Format("2006-01-02"))
							return nil
						},
					},
				},
			},
		},
	})
}

func printResult(env *Env, res *acme.Result, err error) error {
	if err != nil {
		return err
	}
	if env.JSON {
		return env.PrintJSON(res)
	}
	fmt.Fprintf(env.Stdout, "Certificate for %s installed in %s, valid until %s\n", strings.Join(res.Domains, ", "), res.CertFile, res.NotAfter.Format("2006-01-02"))
	if res.RevokeError != "" {
		fmt.Fprintf(env.Stdout, "Revoking the old certificate failed: %s\n", res.RevokeError)
	}
	return nil
}

// readInput reads a file, or standard input for "-".
func readInput(env *Env, name string) ([]byte, error) {
	if name == "-" {
		return io.ReadAll(env.Stdin)
	}
	return os.ReadFile(name)
}
