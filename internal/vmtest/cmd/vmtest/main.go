// Command vmtest runs the VM tier: every package's *_vm_test.go tests, or
// those of the packages named, each in a QEMU guest of its own. See
// package internal/vmtest; scripts/vmtest runs it.
//
// Usage:
//
//	vmtest [-run REGEXP] [-bench REGEXP [-benchtime D] [-benchout FILE]] [-v] [-p N] [PACKAGES]
package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/hostadm/hostadm/internal/vmtest"
)

func main() {
	os.Exit(run())
}

func run() int {
	var opts vmtest.Options
	flag.StringVar(&opts.Run, "run", "", "run only tests matching `REGEXP` (go test -run)")
	flag.StringVar(&opts.Bench, "bench", "", "run benchmarks matching `REGEXP`, and no tests unless -run is given")
	flag.StringVar(&opts.Benchtime, "benchtime", "", "go test -benchtime `VALUE`")
	benchOut := flag.String("benchout", "", "also write the test output to `FILE` (for go run ./bench -in FILE)")
	flag.BoolVar(&opts.Verbose, "v", false, "verbose test output (go test -v)")
	flag.StringVar(&opts.Artifacts, "artifacts", "", "keep serial console logs in `DIR` (default .cache/vm/artifacts)")
	flag.BoolVar(&opts.Keep, "keep", false, "keep each guest's scratch directory (disk images, initramfs)")
	parallel := flag.Int("p", 2, "run up to `N` guests at once")
	list := flag.Bool("list", false, "list the packages with VM tests and exit")
	prepare := flag.Bool("prepare", false, "prepare the kernel, ZFS module and base image, and exit")
	flag.Var((*argList)(&opts.Args), "testflag", "pass `FLAG` to the test binaries (repeatable), for example -testflag -test.count=2")
	flag.Usage = func() {
		fmt.Fprintf(os.Stderr, "usage: vmtest [flags] [packages]\n\nRuns the VM-tier tests (build tag vmtest) of the packages in QEMU guests.\n\n")
		flag.PrintDefaults()
	}
	flag.Parse()
	if *parallel < 1 {
		*parallel = 1
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	logf := func(format string, args ...any) {
		fmt.Fprintf(os.Stderr, "vmtest: "+format+"\n", args...)
	}
	cwd, err := os.Getwd()
	if err != nil {
		logf("%v", err)
		return 1
	}
	root, err := vmtest.FindModuleRoot(cwd)
	if err != nil {
		logf("%v", err)
		return 1
	}
	env := &vmtest.Env{ModuleRoot: root, Cache: os.Getenv("HOSTADM_VM_CACHE"), Log: logf}

	pkgs, err := env.Discover(ctx, flag.Args()...)
	if err != nil {
		logf("finding packages: %v", err)
		return 1
	}
	if opts.Bench != "" && opts.Run == "" {
		var with []vmtest.Package
		for _, p := range pkgs {
			if p.Bench {
				with = append(with, p)
			}
		}
		pkgs = with
	}
	if *list {
		for _, p := range pkgs {
			fmt.Println(p.ImportPath)
		}
		return 0
	}
	for _, p := range pkgs {
		if _, err := p.Spec(); err != nil {
			logf("%v", err)
			return 1
		}
	}
	if len(pkgs) == 0 && !*prepare {
		logf("no packages with VM tests (*_vm_test.go) match")
		return 0
	}

	begin := time.Now()
	start := begin
	assets, err := env.Prepare(ctx)
	if err != nil {
		logf("preparing the guest: %v", err)
		return 1
	}
	logf("stage prepare: kernel %s, zfs %s ready in %.1fs", assets.KernelRelease, assets.ZFSVersion, time.Since(start).Seconds())
	start = time.Now()
	base, err := env.BaseImage(ctx, assets)
	if err != nil {
		logf("building the base initramfs: %v", err)
		return 1
	}
	logf("stage image: base initramfs ready in %.1fs", time.Since(start).Seconds())
	// The layers of the packages' extra Debian packages, before the
	// guests start (runs build them too, but would wait for each other).
	for _, p := range pkgs {
		spec, _ := p.Spec()
		if _, err := env.PackageImage(ctx, assets, base, spec.Packages); err != nil {
			logf("%s: the layer of its packages: %v", p.Rel, err)
			return 1
		}
	}
	if *prepare {
		return 0
	}
	accel := env.Accel(ctx, assets)
	logf("running %d package(s) with %s, up to %d guest(s) at once", len(pkgs), accel, min(*parallel, len(pkgs)))
	start = time.Now()

	r := &vmtest.Runner{Env: env, Assets: assets, Base: base, Opts: opts}
	defer r.Close()
	var (
		mu      sync.Mutex
		results = make([][]*vmtest.Result, len(pkgs))
		sem     = make(chan struct{}, *parallel)
		wg      sync.WaitGroup
	)
	stream := *parallel == 1 || len(pkgs) == 1
	for i, p := range pkgs {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			var out io.Writer
			if stream {
				out = os.Stdout
			}
			res := r.Run(ctx, p, out)
			mu.Lock()
			results[i] = append(results[i], res)
			report(res, !stream, logf)
			mu.Unlock()
			if p.Host {
				res := r.RunHost(ctx, p, out)
				mu.Lock()
				results[i] = append(results[i], res)
				report(res, !stream, logf)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()

	passed, failed := 0, 0
	var bench bytes.Buffer
	for _, rs := range results {
		for _, res := range rs {
			if !res.OnHost {
				bench.Write(res.Output)
			}
			if res.Passed {
				passed++
			} else {
				failed++
			}
		}
	}
	if *benchOut != "" {
		if err := os.WriteFile(*benchOut, bench.Bytes(), 0o644); err != nil {
			logf("%v", err)
			return 1
		}
		logf("test output written to %s (go run ./bench -in %s)", *benchOut, *benchOut)
	}
	logf("stage guests: %d package run(s) in %.1fs; whole run %.1fs", passed+failed, time.Since(start).Seconds(), time.Since(begin).Seconds())
	fmt.Printf("vmtest: %d passed, %d failed\n", passed, failed)
	if failed > 0 || ctx.Err() != nil {
		return 1
	}
	return 0
}

// report prints a package's result the way go test does, with its stage
// times and, on failure, the serial console log.
func report(res *vmtest.Result, withOutput bool, logf func(string, ...any)) {
	if withOutput && (!res.Passed || len(res.Output) > 0) {
		os.Stdout.Write(res.Output)
	}
	var stages []string
	var tests time.Duration
	for _, s := range res.Stages {
		stages = append(stages, fmt.Sprintf("%s %.1fs", s.Name, s.Elapsed.Seconds()))
		if s.Name == "tests" {
			tests = s.Elapsed
		}
	}
	name, where := res.Package.ImportPath, res.Package.Rel
	if res.OnHost {
		name += " (host)"
		where += " (host)"
	}
	if res.Passed {
		fmt.Printf("ok  \t%s\t%.3fs\n", name, tests.Seconds())
	} else {
		if res.Err != nil {
			fmt.Printf("--- FAIL: %s: %v\n", name, res.Err)
		}
		fmt.Printf("FAIL\t%s\t%.3fs\n", name, tests.Seconds())
		if res.Console != "" {
			logf("%s: serial console of the failed guest: %s", where, res.Console)
		}
	}
	logf("%s: stages: %s", where, strings.Join(stages, ", "))
}

type argList []string

func (a *argList) String() string     { return strings.Join(*a, " ") }
func (a *argList) Set(v string) error { *a = append(*a, v); return nil }
