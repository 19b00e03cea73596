package httpsession

import "errors"

// AddReport is what [Jar.AddAll] did with a batch of cookies.
type AddReport struct {
	Kept int // cookies stored
	// Rejected holds, for each cookie the jar refused, its name, domain
	// and the reason; never its value.
	Rejected []CookieError
}

// AddAll stores cookies through [Jar.Add], one by one and in order, so a
// later cookie with the same name, domain, path and host-only flag
// replaces an earlier one, and reports how many the jar kept and why it
// refused the others.
func (j *Jar) AddAll(cookies []Cookie) AddReport {
	var r AddReport
	for _, c := range cookies {
		err := j.Add(c)
		if err == nil {
			r.Kept++
			continue
		}
		var ce *CookieError
		if errors.As(err, &ce) {
			r.Rejected = append(r.Rejected, *ce)
		}
	}
	return r
}
