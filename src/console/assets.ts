import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';

// The console's styles and scripts: the libraries from node_modules (deployments are often offline, so
// never a CDN), ours from src/console/assets. Read once at start-up.

const require = createRequire(import.meta.url);
const own = (name: string) => fileURLToPath(new URL(`./assets/${name}`, import.meta.url));
// A file beside a package's entry point (chart.js exports neither its UMD build nor package.json).
const besideEntry = (pkg: string, name: string) => join(dirname(require.resolve(pkg)), name);

const FILES: Record<string, { path: string; type: string }> = {
  'pico.min.css': { path: join(dirname(require.resolve('@picocss/pico/package.json')), 'css/pico.min.css'), type: 'text/css' },
  'chart.umd.min.js': { path: besideEntry('chart.js', 'chart.umd.min.js'), type: 'text/javascript' },
  'htmx.min.js': { path: besideEntry('htmx.org', 'htmx.min.js'), type: 'text/javascript' },
  'console.css': { path: own('console.css'), type: 'text/css' },
  'console.js': { path: own('console.js'), type: 'text/javascript' },
};

/** GET /console/assets/:name for the files above (anything else 404s). */
export function assetRoutes(app: FastifyInstance): void {
  const loaded = new Map(Object.entries(FILES).map(([name, f]) => [name, { body: readFileSync(f.path), type: f.type }]));
  app.get<{ Params: { name: string } }>('/assets/:name', async (req, reply) => {
    const file = loaded.get(req.params.name);
    if (!file) return reply.status(404).type('text/plain; charset=utf-8').send('not found');
    return reply.type(`${file.type}; charset=utf-8`).header('cache-control', 'public, max-age=3600').send(file.body);
  });
}
