package account

import "testing"

func TestPasswordHash(t *testing.T) {
	t.Parallel()
	h := hashPassword("correct horse battery")
	if ok, err := checkPassword(h, "correct horse battery"); !ok || err != nil {
		t.Fatalf("the right password: %v, %v", ok, err)
	}
	if ok, _ := checkPassword(h, "correct horse batterY"); ok {
		t.Fatal("a wrong password matched")
	}
	if h == hashPassword("correct horse battery") {
		t.Fatal("two hashes of one password are equal: no salt")
	}
	for _, bad := range []string{"", "plain", "$argon2id$v=19$m=0,t=1,p=1$c2FsdA$aGFzaA", "$bcrypt$x$y$z$w"} {
		if _, err := checkPassword(bad, "x"); err == nil {
			t.Errorf("hash %q accepted", bad)
		}
	}
	if passwordProblem("short", "short") == "" || passwordProblem("long enough pw", "long enough px") == "" || passwordProblem("long enough pw", "long enough pw") != "" {
		t.Fatal("password rules")
	}
}

// BenchmarkCheckPassword is the cost of one sign-in attempt.
func BenchmarkCheckPassword(b *testing.B) {
	h := hashPassword("correct horse battery")
	for b.Loop() {
		if ok, _ := checkPassword(h, "correct horse battery"); !ok {
			b.Fatal("no match")
		}
	}
}
