package probecmd

import (
	"context"
	"fmt"
	"io"
	"slices"
	"text/tabwriter"

	"github.com/wss-operator/wss-operator/internal/cmd/cliutil"
	"github.com/wss-operator/wss-operator/internal/probe"
)

// runCompat is `probe URL --compat`: one TLS handshake per client profile.
// Exit 0 when at least one profile gets in, 1 when none does.
func runCompat(ctx context.Context, run cliutil.Run, o probe.Options, format string) int {
	results := probe.Compat(ctx, o)
	run.Output(format, probe.CompatReport{URL: o.URL, Clients: results}, func(w io.Writer) error {
		writeCompatText(w, o.URL, results)
		return nil
	})
	return cliutil.Exit(slices.ContainsFunc(results, func(r probe.CompatResult) bool { return r.OK }))
}

// writeCompatText prints the ✔/✖ table, then what each profile stands for.
func writeCompatText(w io.Writer, url string, results []probe.CompatResult) {
	fmt.Fprintf(w, "Client compatibility of %s: %s\n\n", url, probe.CompatSummary(results))
	offers := map[string]string{}
	for _, cp := range probe.ClientProfiles() {
		offers[cp.Name] = cp.Offers
	}
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "  \tCLIENT PROFILE\tOFFERS\tRESULT")
	for _, r := range results {
		mark, result := "✖", r.Reason+": "+r.Message
		if r.OK {
			mark, result = "✔", r.Version+", "+r.CipherSuite
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", mark, r.Profile, offers[r.Profile], result)
	}
	_ = tw.Flush()
	fmt.Fprintln(w, "\nWho each profile stands for:")
	for _, r := range results {
		fmt.Fprintf(w, "  %s: %s\n", r.Profile, r.StandsFor)
	}
}
