package signature

import (
	"crypto/hmac"
	"crypto/sha256"
	"fmt"
	"sync"
	"testing"
)

func TestMACPoolsStayCorrectPastTheirBound(t *testing.T) {
	t.Parallel()
	pools := newMACPools(sha256.New)
	a := algorithm{size: sha256.Size, pools: pools}
	body := []byte("payload")
	for i := range maxPooledSecrets + 10 {
		secret := fmt.Appendf(nil, "secret-%d", i%(maxPooledSecrets+5))
		want := hmac.New(sha256.New, secret)
		want.Write(body)
		if got := a.mac(secret, body); !hmac.Equal(got, want.Sum(nil)) {
			t.Fatalf("secret %d: pooled MAC differs from a fresh one", i)
		}
	}
	if n := len(pools.pools); n > maxPooledSecrets {
		t.Errorf("%d pooled secrets, want at most %d", n, maxPooledSecrets)
	}
}

func TestMACPoolsUnderConcurrentUse(t *testing.T) {
	t.Parallel()
	a := algorithm{size: sha256.Size, pools: newMACPools(sha256.New)}
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			secret := fmt.Appendf(nil, "secret-%d", g%3)
			body := fmt.Appendf(nil, "body-%d", g)
			want := hmac.New(sha256.New, secret)
			want.Write(body)
			for range 200 {
				if got := a.mac(secret, []byte("bo"), body[2:]); !hmac.Equal(got, want.Sum(nil)) {
					t.Error("pooled MAC differs from a fresh one under concurrent use")
					return
				}
			}
		})
	}
	wg.Wait()
}
