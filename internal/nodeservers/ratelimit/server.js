// An API behind express-rate-limit: LIMIT requests per WINDOW_MS
// milliseconds for each client, advertised with the draft-8 RateLimit and
// RateLimit-Policy fields and the X-RateLimit-* ones; a 429 carries
// Retry-After. It prints "listening PORT" once ready.
//
//   GET /   {"ok":true}, or 429 past the limit
'use strict';
const express = require('express');
const { rateLimit } = require('express-rate-limit');

const app = express();
app.use(rateLimit({
  windowMs: Number(process.env.WINDOW_MS || 1000),
  limit: Number(process.env.LIMIT || 150),
  standardHeaders: 'draft-8',
  legacyHeaders: true,
}));
app.get('/', (req, res) => res.json({ ok: true }));
const server = app.listen(Number(process.env.PORT || 0), '127.0.0.1', () => {
  console.log('listening ' + server.address().port);
});
