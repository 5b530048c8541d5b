import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Core } from '../../src/core';
import { newId } from '../../src/lib/ids';
import type { VoiceService } from '../../src/voice/voice-service';
import { callbackUrl, requireContentType } from './common';
import type { IvrDialect, IvrDialectContext } from './dialect';

/**
 * The one route wrapper every voice dialect goes through: authentication, content-type check, parse,
 * the voice service (one unit of work, so the platform hears an answer only once it is durable),
 * render, and per-dialect timing. Dialects only translate.
 */
export function registerIvrDialect(app: FastifyInstance, core: Core, voice: VoiceService, dialect: IvrDialect): void {
  const seconds = core.metrics.histogram('ivr_callback_seconds', 'Time to answer a voice callback', ['dialect'], [0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5]);
  const ctx: IvrDialectContext = {
    config: core.config,
    callbackUrl: (path, query) => callbackUrl(core, path, query),
    newCallRef: () => newId('vxc', core.clock.now()),
  };
  const handler = async (req: FastifyRequest, reply: FastifyReply) => {
    const started = performance.now();
    try {
      dialect.authenticate?.(req, ctx);
      requireContentType(req, dialect.contentTypes, dialect.path);
      const parsed = dialect.parse(req, ctx);
      // The voice service answers once its unit of work is durable.
      const body = parsed.kind === 'reply' ? parsed.body : dialect.render(await voice.handle(dialect.name, parsed), ctx);
      return reply.type(dialect.replyType).send(body);
    } finally {
      seconds.observe({ dialect: dialect.name }, (performance.now() - started) / 1000);
    }
  };
  for (const method of dialect.methods ?? ['POST']) app.route({ method, url: dialect.path, handler });
}
