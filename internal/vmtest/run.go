package vmtest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/hostadm/hostadm/internal/runner"
	"github.com/hostadm/hostadm/internal/vmtest/job"
	"github.com/hugelgupf/vmtest/qemu"
)

// Package is a Go package with VM-tier tests.
type Package struct {
	ImportPath string
	Dir        string
	// Rel is the directory relative to the module root ("lvm", "boot/disk").
	Rel string
	// Bench reports whether its VM test files have benchmarks.
	Bench bool
	// Host reports whether its VM test files boot images on the host
	// (BootImage, DebianBoot): its VM tests then also run on the host.
	Host bool
}

// Discover lists the packages matching patterns (default ./...) that have
// *_vm_test.go files, whatever build tags those need beside vmtest.
func (e *Env) Discover(ctx context.Context, patterns ...string) ([]Package, error) {
	if len(patterns) == 0 {
		patterns = []string{"./..."}
	}
	args := append([]string{"go", "list", "-e", "-f", "{{.ImportPath}}\t{{.Dir}}"}, patterns...)
	res, err := e.runner().Run(ctx, runner.Cmd{Args: args, Dir: e.ModuleRoot, Timeout: 5 * time.Minute})
	if err != nil {
		return nil, err
	}
	var pkgs []Package
	for _, line := range strings.Split(strings.TrimSpace(string(res.Stdout)), "\n") {
		importPath, dir, ok := strings.Cut(line, "\t")
		if !ok {
			continue
		}
		files, err := filepath.Glob(filepath.Join(dir, "*_vm_test.go"))
		if err != nil || len(files) == 0 {
			continue
		}
		rel, err := filepath.Rel(e.ModuleRoot, dir)
		if err != nil {
			return nil, err
		}
		p := Package{ImportPath: importPath, Dir: dir, Rel: filepath.ToSlash(rel)}
		for _, f := range files {
			b, err := os.ReadFile(f)
			if err != nil {
				return nil, err
			}
			if bytes.Contains(b, []byte("\nfunc Benchmark")) {
				p.Bench = true
			}
			if bytes.Contains(b, []byte("BootImage(")) || bytes.Contains(b, []byte("DebianBoot(")) {
				p.Host = true
			}
		}
		pkgs = append(pkgs, p)
	}
	return pkgs, nil
}

// Options are the settings of a VM test run.
type Options struct {
	// Run and Bench select tests and benchmarks as go test's -run and
	// -bench do. With Bench set and Run empty, no test runs.
	Run, Bench string
	// Benchtime is go test's -benchtime; "" means the default.
	Benchtime string
	// Verbose is go test's -v.
	Verbose bool
	// Args are more flags for the test binaries (-test.count=2 ...).
	Args []string
	// Artifacts is where serial console logs go; "" means the cache's
	// artifacts directory.
	Artifacts string
	// Keep keeps each run's scratch directory (disk images, initramfs).
	Keep bool
}

// Result is the outcome of one package's VM.
type Result struct {
	Package Package
	// OnHost reports a run of the package's VM tests on the host.
	OnHost bool
	// Passed reports whether the guest ran the package's tests and they
	// passed.
	Passed bool
	// Output is the test binary's output.
	Output []byte
	// Console is the file holding the guest's serial console output.
	Console string
	// Stages are the times of the run's stages, in order.
	Stages []Stage
	// Err says why the run failed when the tests did not report.
	Err error
}

// Stage is one timed step.
type Stage struct {
	Name    string
	Elapsed time.Duration
}

// Runner runs packages' VM-tier tests in guests.
type Runner struct {
	Env    *Env
	Assets *Assets
	Base   *Image
	Opts   Options

	initOnce sync.Once
	initPath string
	initErr  error

	// guestDisks holds, by import path, the disk images of a guest run
	// whose package also runs on the host, until RunHost has run.
	mu         sync.Mutex
	guestDisks map[string]guestDisks
}

// guestDisks are the disk images a guest left behind, in its scratch
// directory.
type guestDisks struct {
	work  string
	files []string
}

// guestInit builds the guest's init once per Runner.
func (r *Runner) guestInit(ctx context.Context) (string, error) {
	r.initOnce.Do(func() {
		dir := filepath.Join(r.Env.cache(), "build")
		if r.initErr = os.MkdirAll(dir, 0o755); r.initErr != nil {
			return
		}
		// A file of this run's own: runs in one work tree share the cache.
		f, err := os.CreateTemp(dir, "guestinit-")
		if err != nil {
			r.initErr = err
			return
		}
		f.Close()
		r.initPath = f.Name()
		_, r.initErr = r.Env.runner().Run(ctx, runner.Cmd{
			Args: []string{"go", "build", "-trimpath", "-o", r.initPath, "./internal/vmtest/guestinit"},
			Dir:  r.Env.ModuleRoot,
			Env:  []string{"CGO_ENABLED=0", "GOOS=linux", "GOARCH=amd64"},
		})
	})
	return r.initPath, r.initErr
}

// Close removes the Runner's files.
func (r *Runner) Close() error {
	r.mu.Lock()
	for _, g := range r.guestDisks {
		r.removeWork(g.work)
	}
	r.guestDisks = nil
	r.mu.Unlock()
	if r.initPath != "" {
		return os.Remove(r.initPath)
	}
	return nil
}

func (r *Runner) removeWork(work string) {
	if !r.Opts.Keep {
		_ = os.RemoveAll(work)
	}
}

// Spec reads the package's testdata/vm.json; a package without one gets
// the zero Spec.
func (p Package) Spec() (*Spec, error) {
	name := filepath.Join(p.Dir, SpecFile)
	b, err := os.ReadFile(name)
	if errors.Is(err, fs.ErrNotExist) {
		return &Spec{}, nil
	}
	if err != nil {
		return nil, err
	}
	return ParseSpec(filepath.Join(p.Rel, SpecFile), b)
}

// Run builds the package's test binary, boots a guest with the devices
// its spec asks for, runs the binary there and reports. Test output is
// copied to out as it arrives.
func (r *Runner) Run(ctx context.Context, p Package, out io.Writer) *Result {
	res := &Result{Package: p}
	if err := r.run(ctx, p, out, res); err != nil && res.Err == nil {
		res.Err = err
	}
	return res
}

func (r *Runner) run(ctx context.Context, p Package, out io.Writer, res *Result) error {
	spec, err := p.Spec()
	if err != nil {
		return err
	}
	stage := func(name string, start time.Time) {
		res.Stages = append(res.Stages, Stage{name, time.Since(start)})
	}
	work, err := os.MkdirTemp(r.Env.cache(), "run-")
	if err != nil {
		return err
	}
	// The disks of a package that also runs on the host wait for
	// RunHost, which hands them to its tests.
	var disks []string
	defer func() {
		if !p.Host || len(disks) == 0 {
			r.removeWork(work)
			return
		}
		r.mu.Lock()
		defer r.mu.Unlock()
		if r.guestDisks == nil {
			r.guestDisks = map[string]guestDisks{}
		}
		if old, ok := r.guestDisks[p.ImportPath]; ok {
			r.removeWork(old.work)
		}
		r.guestDisks[p.ImportPath] = guestDisks{work, disks}
	}()

	start := time.Now()
	init, err := r.guestInit(ctx)
	if err != nil {
		return err
	}
	name := strings.ReplaceAll(p.Rel, "/", "-")
	bin := filepath.Join(work, name+".test")
	if err := r.buildTest(ctx, p, spec, bin); err != nil {
		return err
	}
	stage("build", start)

	var pkgs *Image
	if len(spec.Packages) > 0 {
		start = time.Now()
		if pkgs, err = r.Env.PackageImage(ctx, r.Assets, r.Base, spec.Packages); err != nil {
			return err
		}
		stage("packages", start)
	}

	start = time.Now()
	m := &machine{spec: spec, work: work, accel: r.Env.Accel(ctx, r.Assets)}
	initrd := filepath.Join(work, "initrd.cpio")
	// The devices are made first: the job names them.
	fns, err := m.fns(r.Assets, initrd)
	if err != nil {
		return err
	}
	disks = m.diskFiles
	j := &job.Job{
		KernelRelease: r.Assets.KernelRelease,
		Modules:       spec.Modules,
		Disks:         m.disks,
		NICs:          m.nics,
		EFI:           spec.OVMF,
		Env:           []string{"CI=true"},
		Tests: []job.Test{{
			Package: p.ImportPath,
			Dir:     path.Join("/hostadm/src", p.Rel),
			Binary:  "/hostadm/bin/" + name + ".test",
			Args:    r.testArgs(spec),
			Timeout: job.Duration(r.timeout(spec) + 30*time.Second),
		}},
	}
	if err := r.writeInitrd(initrd, init, bin, p, j, spec.Modules, pkgs); err != nil {
		return err
	}
	stage("initramfs", start)

	var artifacts = r.Opts.Artifacts
	if artifacts == "" {
		artifacts = filepath.Join(r.Env.cache(), "artifacts")
	}
	if err := os.MkdirAll(artifacts, 0o755); err != nil {
		return err
	}
	res.Console = filepath.Join(artifacts, name+".console.log")
	// Booting takes a minute on a busy machine, and the guest gives a
	// test that outlives its timeout another minute to die.
	boot := 5 * time.Minute
	if spec.OVMF {
		boot = 7 * time.Minute
	}
	g := &guest{res: res, out: out}
	err = g.boot(ctx, fns, res.Console, r.timeout(spec)+boot)
	return err
}

// RunHost runs the package's VM tests on the host, for the tests that
// boot images there (BootImage); the others skip on the host.
func (r *Runner) RunHost(ctx context.Context, p Package, out io.Writer) *Result {
	res := &Result{Package: p, OnHost: true}
	spec, err := p.Spec()
	if err != nil {
		res.Err = err
		return res
	}
	var env []string
	r.mu.Lock()
	g, ok := r.guestDisks[p.ImportPath]
	delete(r.guestDisks, p.ImportPath)
	r.mu.Unlock()
	if ok {
		defer r.removeWork(g.work)
		env = append(env, envGuestDisks+"="+strings.Join(g.files, ","))
	}
	args := []string{"go", "test", "-count=1", "-tags", spec.buildTags(), "-timeout", (r.timeout(spec) + 5*time.Minute).String()}
	for _, a := range r.testArgs(spec) {
		if strings.HasPrefix(a, "-test.timeout=") {
			continue
		}
		args = append(args, "-"+strings.TrimPrefix(a, "-test."))
	}
	args = append(args, p.ImportPath)
	start := time.Now()
	var buf bytes.Buffer
	w := io.Writer(&buf)
	if out != nil {
		w = io.MultiWriter(&buf, out)
	}
	_, err = r.Env.runner().Run(ctx, runner.Cmd{
		Args:   args,
		Dir:    r.Env.ModuleRoot,
		Env:    env,
		OnLine: func(line string) { io.WriteString(w, line+"\n") },
	})
	res.Output = buf.Bytes()
	res.Stages = append(res.Stages, Stage{"tests", time.Since(start)})
	res.Passed = err == nil
	var ee *runner.ExitError
	switch {
	case err == nil:
	case errors.As(err, &ee) && ee.ExitCode == 1:
		// Failed tests, or a build failure explained on stderr.
		if s := strings.TrimSpace(ee.Stderr); s != "" {
			res.Output = append(res.Output, s+"\n"...)
			if out != nil {
				io.WriteString(out, s+"\n")
			}
		}
	default:
		res.Err = err
	}
	return res
}

// timeout is the limit of the package's tests in this run.
func (r *Runner) timeout(spec *Spec) time.Duration { return spec.timeoutFor(r.Opts.Bench != "") }

func (r *Runner) testArgs(spec *Spec) []string {
	args := []string{"-test.timeout=" + r.timeout(spec).String()}
	if r.Opts.Verbose {
		args = append(args, "-test.v")
	}
	switch {
	case r.Opts.Bench != "":
		run := r.Opts.Run
		if run == "" {
			run = "^$"
		}
		args = append(args, "-test.run="+run, "-test.bench="+r.Opts.Bench, "-test.benchmem")
		if r.Opts.Benchtime != "" {
			args = append(args, "-test.benchtime="+r.Opts.Benchtime)
		}
	case r.Opts.Run != "":
		args = append(args, "-test.run="+r.Opts.Run)
	}
	return append(args, r.Opts.Args...)
}

// buildTest compiles the package's test binary for the guest. With the
// libzfs tag, cgo builds against the guest's libzfs headers and
// libraries.
func (r *Runner) buildTest(ctx context.Context, p Package, spec *Spec, bin string) error {
	env := []string{"GOOS=linux", "GOARCH=amd64"}
	if slices.Contains(spec.Tags, "libzfs") {
		cgo, err := r.libzfsFlags(ctx)
		if err != nil {
			return err
		}
		env = append(env, cgo...)
	}
	_, err := r.Env.runner().Run(ctx, runner.Cmd{
		Args: []string{"go", "test", "-c", "-tags", spec.buildTags(), "-o", bin, p.ImportPath},
		Dir:  r.Env.ModuleRoot,
		Env:  env,
	})
	if err != nil {
		return err
	}
	if _, err := os.Stat(bin); err != nil {
		return fmt.Errorf("%s: go test -c made no test binary (no tests with tag vmtest?)", p.ImportPath)
	}
	return nil
}

// libzfsFlags returns the cgo settings that build go-libzfs against the
// guest's libzfs. Its #cgo lines name /usr/include/libzfs and libspl; when
// this machine has libzfslinux-dev installed, those headers are used and
// must be the guest's version (two copies would break libspl's
// #include_next chain), otherwise the unpacked ones are.
func (r *Runner) libzfsFlags(ctx context.Context) ([]string, error) {
	dev := r.Assets.ZFSDev
	lib := filepath.Join(dev, "usr/lib/x86_64-linux-gnu")
	env := []string{"CGO_ENABLED=1", "CGO_LDFLAGS=-L" + lib + " -Wl,-rpath-link," + lib}
	want := r.Assets.Versions["libzfslinux-dev"]
	res, err := r.Env.runner().Run(ctx, runner.Cmd{Args: []string{"dpkg-query", "-W", "-f", "${db:Status-Abbrev} ${Version}", "libzfslinux-dev"}})
	if err == nil && strings.HasPrefix(string(res.Stdout), "ii ") {
		if got := strings.TrimSpace(string(res.Stdout[3:])); got != want {
			return nil, fmt.Errorf("this machine has libzfslinux-dev %s installed, the guest has libzfs %s: the cgo backend would build against the wrong headers", got, want)
		}
		return env, nil
	}
	return append(env, "CGO_CFLAGS=-I"+filepath.Join(dev, "usr/include/libzfs")+" -I"+filepath.Join(dev, "usr/include/libspl")), nil
}

// writeInitrd writes the base image, the layer of the spec's packages
// (nil: none), and an archive with the init, the job, the test binary
// (with libraries the base lacks), the kernel modules the spec names that
// the base lacks, and the package's test data.
func (r *Runner) writeInitrd(initrd, init, bin string, p Package, j *job.Job, modules []string, pkgs *Image) error {
	f, err := os.Create(initrd)
	if err != nil {
		return err
	}
	defer f.Close()
	have := r.Base.Files
	layers := []string{r.Base.Path}
	if pkgs != nil {
		layers = append(layers, pkgs.Path)
		have = maps(have)
		for k := range pkgs.Files {
			have[k] = true
		}
	}
	for _, l := range layers {
		in, err := os.Open(l)
		if err != nil {
			return err
		}
		_, err = io.Copy(f, in)
		in.Close()
		if err != nil {
			return err
		}
	}
	jb, err := json.MarshalIndent(j, "", "\t")
	if err != nil {
		return err
	}
	// Libraries of the test binary (cgo) that the base image lacks.
	libs, err := os.MkdirTemp(filepath.Dir(initrd), "libs-")
	if err != nil {
		return err
	}
	s := newStager(libs, r.Assets)
	s.added = maps(have)
	if err := s.elfDeps("/hostadm/bin/"+filepath.Base(bin), bin); err != nil {
		return err
	}
	if len(s.missing) > 0 {
		return fmt.Errorf("the test binary needs libraries that neither the guest packages nor this machine have: %s", strings.Join(s.missing, ", "))
	}
	if len(modules) > 0 {
		idx, err := loadModuleIndex(r.Assets)
		if err != nil {
			return err
		}
		paths, err := idx.resolve(modules)
		if err != nil {
			return err
		}
		if err := s.addModules(r.Assets, idx, paths); err != nil {
			return err
		}
	}
	c := newCPIOWriter(f)
	if err := addFile(c, "init", init); err != nil {
		return err
	}
	c.Bytes(job.Path, 0o644, jb)
	if err := addFile(c, "hostadm/bin/"+filepath.Base(bin), bin); err != nil {
		return err
	}
	if err := c.Tree(libs, ""); err != nil {
		return err
	}
	// The package's own files but Go sources and subpackages, and the
	// module's shared fixtures.
	dst := path.Join("hostadm/src", p.Rel)
	c.Dir(dst, 0o755)
	ents, err := os.ReadDir(p.Dir)
	if err != nil {
		return err
	}
	for _, e := range ents {
		src := filepath.Join(p.Dir, e.Name())
		switch {
		case e.Name() == "testdata" && e.IsDir():
			if err := c.Tree(src, path.Join(dst, "testdata")); err != nil {
				return err
			}
		case e.Type().IsRegular() && !strings.HasSuffix(e.Name(), ".go"):
			if err := addFile(c, path.Join(dst, e.Name()), src); err != nil {
				return err
			}
		}
	}
	if p.Rel != "." {
		if fi, err := os.Stat(filepath.Join(r.Env.ModuleRoot, "testdata")); err == nil && fi.IsDir() {
			if err := c.Tree(filepath.Join(r.Env.ModuleRoot, "testdata"), "hostadm/src/testdata"); err != nil {
				return err
			}
		}
	}
	if err := c.Close(); err != nil {
		return err
	}
	return f.Close()
}

func maps(m map[string]bool) map[string]bool {
	c := make(map[string]bool, len(m))
	for k, v := range m {
		c[k] = v
	}
	return c
}

func addFile(c *cpioWriter, name, src string) error {
	f, err := os.Open(src)
	if err != nil {
		return err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	c.File(name, fi.Mode(), fi.Size(), f)
	return c.err
}

// guest is one QEMU run of a job.
type guest struct {
	res *Result
	out io.Writer

	mu          sync.Mutex
	initStarted bool
	started     time.Time
	booted      time.Duration
	exitCode    *int
	done        bool
	errors      []string
	output      bytes.Buffer
}

func (g *guest) record(rec job.Record) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.initStarted = true
	switch rec.Kind {
	case job.RecStage:
		if rec.Name == "kernel" {
			g.booted = time.Since(g.started)
			g.res.Stages = append(g.res.Stages, Stage{"boot", g.booted})
		}
		g.res.Stages = append(g.res.Stages, Stage{"guest-" + rec.Name, rec.Elapsed})
	case job.RecExit:
		code := rec.Code
		g.exitCode = &code
		g.res.Stages = append(g.res.Stages, Stage{"tests", rec.Elapsed})
	case job.RecError:
		g.errors = append(g.errors, rec.Message)
	case job.RecDone:
		g.done = true
	}
}

// boot runs QEMU until the guest powers off or timeout passes; the
// results port streams into g as the guest writes it.
func (g *guest) boot(ctx context.Context, fns []qemu.Fn, consoleLog string, timeout time.Duration) error {
	console, err := os.Create(consoleLog)
	if err != nil {
		return err
	}
	pr, pw, err := os.Pipe()
	if err != nil {
		console.Close()
		return err
	}
	scanned := make(chan error, 1)
	go func() {
		scanned <- job.Scan(pr, func(line string) {
			g.mu.Lock()
			// Before the init's first record, the port carries what
			// the firmware printed on every serial port.
			if !g.initStarted {
				g.mu.Unlock()
				return
			}
			g.output.WriteString(line)
			g.mu.Unlock()
			if g.out != nil {
				io.WriteString(g.out, line)
			}
		}, g.record)
		pr.Close()
	}()
	fns = append(fns,
		qemu.WithSerialOutput(console),
		qemu.WithVMTimeout(timeout),
		resultsPort(pw),
	)
	g.started = time.Now()
	vm, err := qemu.StartContext(ctx, qemu.ArchAMD64, fns...)
	pw.Close()
	if err != nil {
		pr.Close()
		<-scanned
		console.Close()
		return fmt.Errorf("start %s: %w", QEMU, err)
	}
	werr := vm.Wait()
	serr := <-scanned
	g.mu.Lock()
	defer g.mu.Unlock()
	g.res.Output = g.output.Bytes()
	switch {
	case len(g.errors) > 0:
		return fmt.Errorf("guest: %s", strings.Join(g.errors, "; "))
	case g.exitCode == nil && ctx.Err() != nil:
		return ctx.Err()
	case g.exitCode == nil && time.Since(g.started) >= timeout:
		return fmt.Errorf("guest did not finish within %v", timeout)
	case g.exitCode == nil:
		return fmt.Errorf("guest stopped before its tests reported (QEMU: %v)", werr)
	case serr != nil:
		return fmt.Errorf("results port: %w", serr)
	}
	g.res.Passed = *g.exitCode == 0 && g.done
	if *g.exitCode == 0 && !g.done {
		return errors.New("guest stopped before it finished")
	}
	return nil
}

// resultsPort makes w the guest's second serial port (ttyS1).
func resultsPort(w *os.File) qemu.Fn {
	return func(_ *qemu.IDAllocator, o *qemu.Options) error {
		fd := o.AddFile(w)
		o.AppendQEMU("-chardev", fmt.Sprintf("file,id=results,path=/dev/fd/%d", fd), "-serial", "chardev:results")
		return nil
	}
}
