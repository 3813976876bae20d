import { type OpenAPIHono, z } from '@hono/zod-openapi';
import { deleteCookie, setCookie } from 'hono/cookie';
import { DomainError } from '../errors.ts';
import { type AppContext, type AppEnv, isSecure, serviceContext } from '../http/app-env.ts';
import { defineRoute } from '../http/define-route.ts';
import { ErrorBody } from '../http/error-body.ts';
import { sessionCookieName } from '../http/session.ts';
import { describeMe } from '../services/auth/describe-me.ts';
import { resolveSession, sessionFailedSignIns } from '../services/auth/sessions.ts';
import { signIn } from '../services/auth/sign-in.ts';
import { signOut } from '../services/auth/sign-out.ts';
import { activateAccount } from '../services/people/activate-account.ts';
import { Me } from './schemas.ts';

const Credentials = z
  .strictObject({
    username: z
      .string()
      .trim()
      .min(1, 'enter your username')
      .max(64, 'is longer than 64 characters'),
    password: z.string().min(1, 'enter your password').max(256, 'is longer than 256 characters'),
  })
  .openapi('Credentials');

const login = defineRoute({
  method: 'post',
  path: '/api/auth/login',
  operationId: 'signIn',
  access: 'public',
  tags: ['Sessions'],
  summary: 'Sign in with a username and password',
  description:
    'Opens a session and sets the `ra_session` cookie (HttpOnly, SameSite=Strict); a session the caller already held ends. After a few failures of one username from one address, each further try from there must wait (1 s, 2 s, 4 s … up to `LOGIN_LOCKOUT_MINUTES`) and is refused with 429 and Retry-After without checking the password; a username is locked only after very many failures from everywhere, an address only after very many for several usernames. The answer says how many failed attempts there were since your last sign-in.',
  request: { body: { required: true, content: { 'application/json': { schema: Credentials } } } },
  responses: {
    200: { description: 'Signed in', content: { 'application/json': { schema: Me } } },
    429: {
      description: 'Too many failed attempts: wait the Retry-After seconds',
      content: { 'application/json': { schema: ErrorBody } },
    },
  },
});

const logout = defineRoute({
  method: 'post',
  path: '/api/auth/logout',
  operationId: 'signOut',
  access: 'authenticated',
  tags: ['Sessions'],
  summary: 'Sign out: ends the session',
  responses: { 204: { description: 'Signed out' } },
});

function sessionCookieOptions(c: AppContext, maxAgeSeconds: number) {
  return {
    path: '/',
    httpOnly: true,
    sameSite: 'Strict' as const,
    secure: isSecure(c),
    maxAge: maxAgeSeconds,
  };
}

const activate = defineRoute({
  method: 'post',
  path: '/api/auth/activate',
  operationId: 'activateAccount',
  access: 'public',
  tags: ['Sessions'],
  summary: 'Choose your password with the one-time activation code the RA gave you',
  request: {
    body: {
      required: true,
      content: {
        'application/json': {
          schema: z
            .strictObject({
              username: z.string().trim().min(1).max(64),
              code: z.string().trim().min(1).max(32),
              password: z
                .string()
                .min(10, 'must be at least 10 characters')
                .max(256, 'is longer than 256 characters'),
            })
            .openapi('Activation'),
        },
      },
    },
  },
  responses: { 204: { description: 'Activated: sign in with the new password' } },
});

export function registerAuth(app: OpenAPIHono<AppEnv>) {
  app.openapi(login, async (c) => {
    const { config } = c.get('deps');
    const ctx = serviceContext(c);
    // Signing in again rotates the session: the one the cookie held ends.
    const session = await signIn(ctx, c.req.valid('json'), config, c.get('session')?.id ?? null);
    setCookie(
      c,
      sessionCookieName,
      session.token,
      sessionCookieOptions(c, config.session.maxHours * 3600),
    );
    const resolved = await resolveSession(ctx, session.token, config.session);
    if (!resolved) throw new DomainError('INTERNAL', 'The new session could not be read back.');
    const me = await describeMe({ ...ctx, actor: resolved.actor });
    const failedSignIns = await sessionFailedSignIns(ctx, session.id);
    return c.json({ ...me, csrfToken: session.csrfToken, failedSignIns }, 200);
  });

  app.openapi(activate, async (c) => {
    await activateAccount(serviceContext(c), c.req.valid('json'), c.get('deps').config.login);
    return c.body(null, 204);
  });

  app.openapi(logout, async (c) => {
    const session = c.get('session');
    if (session) await signOut(serviceContext(c), session.id);
    deleteCookie(c, sessionCookieName, { path: '/', secure: isSecure(c) });
    return c.body(null, 204);
  });
}
