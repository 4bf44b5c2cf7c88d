package main

import (
	"context"
	"strings"
	"sync"
	"time"

	"github.com/hostadm/hostadm/metrics"
)

func init() {
	register(area{name: "metrics", title: "external metric servers", order: 85, check: checkMetrics})
}

func checkMetrics(ctx context.Context, e *env, s *Section) {
	c, err := metrics.New(&metrics.Config{Root: e.fs.Dir()})
	if err != nil {
		s.Warn("metrics", "", "cannot open the root: %v", err)
		return
	}
	defer c.Close()
	srvs, err := c.Servers()
	if err != nil {
		f := s.Error("status-cfg", "fix the entry in Datacenter > Metric Server or in "+metrics.StatusConfigPath, "%v", err)
		f.Where = metrics.StatusConfigPath
		if file, rest, ok := strings.Cut(err.Error(), ": "); ok && strings.HasPrefix(file, metrics.StatusConfigPath+":") {
			f.Where, f.Summary = file, rest
		}
		return
	}
	if len(srvs) == 0 {
		s.Info("servers", "", "no external metric server configured (%s)", metrics.StatusConfigPath)
		return
	}
	var probe []metrics.Server
	for _, srv := range srvs {
		check := "server." + srv.ID
		target := srv.EffectiveProto() + "://" + srv.Addr()
		if srv.Disable {
			s.Info(check, "", "%s %s (%s) is disabled", srv.Type, srv.ID, target)
			continue
		}
		s.OK(check, "%s %s sends to %s", srv.Type, srv.ID, target)
		probe = append(probe, srv)
		if srv.Type != metrics.InfluxDB || (srv.EffectiveProto() != metrics.HTTP && srv.EffectiveProto() != metrics.HTTPS) {
			continue
		}
		if !e.privileged && e.host {
			s.Info("token."+srv.ID, "", "run as root to check the token of %s (%s is private)", srv.ID, metrics.TokenDir)
		} else if tok, err := c.Token(srv.ID); err == nil && tok == "" {
			f := s.Warn("token."+srv.ID, "InfluxDB's v2 API needs a token that can write to the bucket (user:password for InfluxDB 1.8)", "%s has no API token", srv.ID)
			f.Where = metrics.TokenDir + "/" + srv.ID + ".pw"
		}
		if !srv.Verify() && srv.EffectiveProto() == metrics.HTTPS {
			s.Info("tls."+srv.ID, "set verify-certificate 1 once the server has a trusted certificate", "%s does not verify the server's TLS certificate", srv.ID)
		}
	}
	if !e.host || len(probe) == 0 {
		return
	}
	// Reachability, concurrently and briefly, so that a dead server costs
	// the report little.
	errs := make([]error, len(probe))
	var wg sync.WaitGroup
	for i, srv := range probe {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = metrics.Probe(ctx, srv, 400*time.Millisecond)
		}()
	}
	wg.Wait()
	for i, srv := range probe {
		if errs[i] == nil {
			continue
		}
		msg := strings.TrimPrefix(firstLineOf(errs[i]), metrics.ErrUnreachable.Error()+"\n")
		s.Warn("reachable."+srv.ID, "pvestatd's statistics will not reach it: check the server and the firewall", "%s (%s://%s) is unreachable: %s", srv.ID, srv.EffectiveProto(), srv.Addr(), msg)
	}
}
