package httpsession

import "strings"

// The browser opener ($BROWSER, xdg-open, open) and the browser it starts
// run with the environment of this process, less the variables that hold
// its secrets: the opener needs DISPLAY, PATH and the like, never the
// password or the client secret a login was given. A variable is withheld
// when its name, in upper case, contains PASSWORD, PASSWD, PASSPHRASE,
// SECRET or TOKEN, or ends in _KEY or APIKEY. That covers the CLI's
// HTTPSESSION_PASSWORD, HTTPSESSION_PASSPHRASE and HTTPSESSION_CLIENT_SECRET
// and the usual names of credentials handed to a process (GITHUB_TOKEN,
// AWS_SECRET_ACCESS_KEY, OPENAI_API_KEY, …).

// secretWords are the parts of a variable name that mark a secret.
var secretWords = [...]string{"PASSWORD", "PASSWD", "PASSPHRASE", "SECRET", "TOKEN"}

// secretVariable reports whether the environment variable name holds a
// secret by the rule above.
func secretVariable(name string) bool {
	n := strings.ToUpper(name)
	for _, w := range secretWords {
		if strings.Contains(n, w) {
			return true
		}
	}
	return strings.HasSuffix(n, "_KEY") || strings.HasSuffix(n, "APIKEY")
}

// openerEnv returns environ ("NAME=value" entries) without the variables
// that hold secrets.
func openerEnv(environ []string) []string {
	out := make([]string, 0, len(environ))
	for _, kv := range environ {
		name, _, _ := strings.Cut(kv, "=")
		if !secretVariable(name) {
			out = append(out, kv)
		}
	}
	return out
}
