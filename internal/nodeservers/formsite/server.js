// A login site as express apps are written: passport-local behind an HTML
// form, express-session, csrf-sync's synchronizer token (a hidden _csrf
// input, or the X-CSRF-Token header that its <meta name="csrf-token">
// feeds), and under /ng an Angular-style API guarded by lusca's XSRF-TOKEN
// cookie and X-XSRF-TOKEN header. It prints "listening PORT" once ready.
//
//   GET  /login       the form; a failed login's message above it
//   POST /login       passport: 302 /account, or 302 /login?error=1
//   GET  /account     302 /login without a session
//   POST /notes       needs the session and the CSRF token
//   POST /expire      ends every session (what an expiry does)
//   GET  /ng/         sets XSRF-TOKEN;  POST /ng/items needs X-XSRF-TOKEN
'use strict';
const express = require('express');
const session = require('express-session');
const passport = require('passport');
const LocalStrategy = require('passport-local').Strategy;
const { csrfSync } = require('csrf-sync');
const lusca = require('lusca');

const users = { alice: process.env.FORMSITE_PASSWORD || 'wonderland' };
const stats = { logins: 0, failures: 0, notes: 0 };

passport.use(new LocalStrategy((username, password, done) => {
  if (users[username] && users[username] === password) {
    stats.logins++;
    return done(null, { name: username });
  }
  stats.failures++;
  return done(null, false, { message: 'Invalid username or password.' });
}));
passport.serializeUser((u, done) => done(null, u.name));
passport.deserializeUser((name, done) => done(null, users[name] ? { name } : false));

const store = new session.MemoryStore();
const app = express();
app.use(express.urlencoded({ extended: false }));
app.use(express.json());
// The MemoryStore warns on stderr in production mode; it is what a test needs.
app.use(session({ secret: 'formsite-secret', resave: false, saveUninitialized: true, store }));
app.use(passport.initialize());
app.use(passport.session());

const { csrfSynchronisedProtection, generateToken } = csrfSync({
  getTokenFromRequest: (req) => (req.body && req.body._csrf) || req.headers['x-csrf-token'],
});

const esc = (s) => String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const layout = (req, body) => `<!doctype html><html><head><title>formsite</title>
<meta name="csrf-token" content="${esc(generateToken(req))}"></head><body>${body}</body></html>`;

app.get('/login', (req, res) => {
  const msgs = req.session.messages || [];
  req.session.messages = [];
  const flash = msgs.length ? `<div class="alert alert-danger">${esc(msgs[msgs.length - 1])}</div>` : '';
  res.send(layout(req, `<h1>Sign in</h1>${flash}
<form method="post" action="/login">
  <input type="hidden" name="_csrf" value="${esc(generateToken(req))}">
  <label>User <input type="text" name="username" autocomplete="username"></label>
  <label>Password <input type="password" name="password"></label>
  <label><input type="checkbox" name="remember" value="yes" checked> Remember me</label>
  <button type="submit" name="action" value="signin">Sign in</button>
</form>`));
});
app.post('/login', csrfSynchronisedProtection, passport.authenticate('local', {
  successRedirect: '/account', failureRedirect: '/login?error=1', failureMessage: true,
}));

const loggedIn = (req, res, next) => (req.user ? next() : res.redirect('/login'));
app.get('/account', loggedIn, (req, res) => res.send(layout(req, `<p>Hello ${esc(req.user.name)}</p>`)));
app.post('/notes', loggedIn, csrfSynchronisedProtection, (req, res) => {
  stats.notes++;
  res.json({ saved: true, user: req.user.name });
});
app.post('/expire', (req, res) => store.clear(() => res.send('sessions ended')));
app.get('/stats', (req, res) => res.json(stats));

const ng = express.Router();
ng.use(lusca.csrf({ angular: true }));
ng.get('/', (req, res) => res.send('<!doctype html><title>ng</title><p>app</p>'));
ng.post('/items', (req, res) => res.json({ created: true }));
app.use('/ng', ng);

app.use((err, req, res, next) => {
  res.status(err.status || err.statusCode || (res.statusCode >= 400 ? res.statusCode : 500)).type('text/plain').send(err.message);
});

const srv = app.listen(Number(process.env.PORT || 0), '127.0.0.1', () => {
  console.log(`listening ${srv.address().port}`);
});
