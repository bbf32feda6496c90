package mcp

import (
	"context"
	"testing"

	sdk "github.com/modelcontextprotocol/go-sdk/mcp"
)

// TestLegacyMethodsAreTheSDKs: every method the router lets through to the
// SDK on the revisions with sessions is one the SDK answers; it refuses to
// take a standard method as a custom one.
func TestLegacyMethodsAreTheSDKs(t *testing.T) {
	t.Parallel()
	srv := sdk.NewServer(&sdk.Implementation{Name: "probe"}, nil)
	for _, m := range legacyMethods {
		err := sdk.AddReceivingCustomMethod(srv, m, func(context.Context, *sdk.ServerSession, *struct{ sdk.ParamsBase }) (*struct{ sdk.ResultBase }, error) {
			return nil, nil
		})
		if err == nil {
			t.Errorf("%s is not a method the SDK answers", m)
		}
	}
}
