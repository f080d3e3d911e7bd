// GET /metrics: the Prometheus text format (METRICS=false turns it off), open,
// or for holders of METRICS_TOKEN (`Authorization: Bearer <token>`).
import express, { type Router } from 'express';
import type { Config } from '../config.js';
import { bearerToken, tokenDigest, tokenMatches } from '../lib/bearerTokens.js';
import type { Metrics } from '../services/metrics.js';

export function metricsRouter(metrics: Metrics, settings: Config['metrics']): Router {
  const router = express.Router();
  if (!settings.enabled) return router;
  const digests = settings.token ? [tokenDigest(settings.token)] : [];
  router.get('/metrics', async (req, res) => {
    if (settings.token) {
      const token = bearerToken(req.get('authorization'));
      if (!token || !tokenMatches(token, digests)) {
        res.status(token ? 403 : 401).set('WWW-Authenticate', 'Bearer realm="metrics"').type('text/plain');
        res.send(token ? 'The metrics token is not accepted.\n' : "Metrics need the header 'Authorization: Bearer <METRICS_TOKEN>'.\n");
        return;
      }
    }
    const { contentType, body } = await metrics.exposition();
    res.type(contentType).send(body);
  });
  return router;
}
