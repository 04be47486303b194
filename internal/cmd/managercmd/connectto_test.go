package managercmd

import (
	"context"
	"errors"
	"fmt"
	"net"
	"testing"

	. "github.com/onsi/gomega"
	"github.com/spf13/pflag"

	"github.com/wss-operator/wss-operator/internal/wstest"
)

func TestConnectToParses(t *testing.T) {
	for _, tc := range []struct {
		args    []string
		want    ConnectTo
		wantErr string
	}{
		{args: nil, want: nil},
		{args: []string{"--probe-connect-to=echo.demo.svc:443=127.0.0.1:8443"}, want: ConnectTo{"echo.demo.svc:443": "127.0.0.1:8443"}},
		{args: []string{"--probe-connect-to", "A.demo.svc:443=127.0.0.1:8443,b.demo.svc:443=[::1]:9443", "--probe-connect-to=c:1=d:2"},
			want: ConnectTo{"a.demo.svc:443": "127.0.0.1:8443", "b.demo.svc:443": "[::1]:9443", "c:1": "d:2"}},
		{args: []string{"--probe-connect-to=echo.demo.svc:443"}, wantErr: "want HOST:PORT=ADDR:PORT"},
		{args: []string{"--probe-connect-to=echo.demo.svc=127.0.0.1:8443"}, wantErr: `"echo.demo.svc" is not HOST:PORT`},
		{args: []string{"--probe-connect-to=echo:443=127.0.0.1"}, wantErr: `"127.0.0.1" is not HOST:PORT`},
	} {
		t.Run(fmt.Sprint(tc.args), func(t *testing.T) {
			g := NewWithT(t)
			var c ConnectTo
			fs := pflag.NewFlagSet("manager", pflag.ContinueOnError)
			fs.Var(&c, "probe-connect-to", "")
			err := fs.Parse(tc.args)
			if tc.wantErr != "" {
				g.Expect(err).To(MatchError(ContainSubstring(tc.wantErr)))
				return
			}
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(c).To(Equal(tc.want))
		})
	}
}

// TestConnectToDialsTheRule runs the resolver and dialer the prober gets
// against real loopback listeners: a ruled HOST:PORT reaches its ADDR:PORT
// without any DNS lookup, other addresses are dialled as they are.
func TestConnectToDialsTheRule(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	hangUp := func(c net.Conn) { _ = c.Close() }
	ruled, direct := wstest.ServeTCP(t, hangUp), wstest.ServeTCP(t, hangUp)
	var c ConnectTo
	g.Expect(c.Set("Echo.Demo.svc:443=" + ruled)).To(Succeed())

	lookups := []string{}
	next := func(_ context.Context, host string) ([]string, error) {
		lookups = append(lookups, host)
		return nil, errors.New("no DNS here")
	}
	resolve, dial := c.Resolver(next), c.Dial(nil)

	addrs, err := resolve(ctx, "echo.demo.svc")
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(addrs).To(Equal([]string{"echo.demo.svc"}))
	_, err = resolve(ctx, "other.demo.svc")
	g.Expect(err).To(MatchError("no DNS here"))
	g.Expect(lookups).To(Equal([]string{"other.demo.svc"}))

	conn, err := dial(ctx, "tcp", "echo.demo.svc:443")
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(conn.RemoteAddr().String()).To(Equal(ruled))
	_ = conn.Close()

	conn, err = dial(ctx, "tcp", direct)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(conn.RemoteAddr().String()).To(Equal(direct))
	_ = conn.Close()

	_, err = dial(ctx, "tcp", "echo.demo.svc:8443")
	g.Expect(err).To(MatchError(ContainSubstring("none for echo.demo.svc:8443")))

	var none ConnectTo
	g.Expect(none.Dial(nil)).To(BeNil(), "no rules: the prober keeps its default dialer")
	g.Expect(none.Resolver(nil)).To(BeNil())
}
