/** The user, membership, token and sign-in routes' contract. */
import { Type } from '@sinclair/typebox';
import { TOKEN_MAX_DAYS } from '../people.js';
import { ApiToken, Membership, Role, User, UserFields } from './components.js';
import { Closed, Nullable } from './schema.js';

export const CreateUser = Closed(
  {
    username: Type.String({ minLength: 1, maxLength: 64 }),
    displayName: Type.Optional(Type.String({ maxLength: 200 })),
    email: Type.Optional(Type.Union([Type.String({ maxLength: 320 }), Type.Null()])),
    password: Type.Optional(Type.String({ minLength: 8, maxLength: 1024 })),
    isAdmin: Type.Optional(Type.Boolean()),
  },
  { title: 'CreateUser' },
);

export const UpdateUser = Closed(
  {
    displayName: Type.Optional(Type.String({ maxLength: 200 })),
    email: Type.Optional(Type.Union([Type.String({ maxLength: 320 }), Type.Null()])),
    password: Type.Optional(
      Type.String({
        minLength: 8,
        maxLength: 1024,
        description:
          "A new password: ends the user's other sessions and revokes their other API tokens. Changing your own needs currentPassword.",
      }),
    ),
    currentPassword: Type.Optional(Type.String({ maxLength: 1024 })),
    isAdmin: Type.Optional(Type.Boolean()),
    disabled: Type.Optional(Type.Boolean()),
  },
  { title: 'UpdateUser' },
);

export const UserWithMemberships = Closed(
  { ...UserFields, memberships: Type.Array(Membership) },
  { title: 'UserWithMemberships' },
);

export const MemberParams = Closed({
  projectId: Type.String({ maxLength: 64 }),
  userId: Type.String({ maxLength: 64 }),
});
export const TokenParams = Closed({ tokenId: Type.String({ maxLength: 64 }) });

export const SetMembership = Closed({ role: Role }, { title: 'SetMembership' });

export const CreateToken = Closed(
  {
    name: Type.String({ minLength: 1, maxLength: 100 }),
    expiresInDays: Type.Optional(Type.Number({ exclusiveMinimum: 0, maximum: TOKEN_MAX_DAYS })),
    expiresAt: Type.Optional(Type.String({ format: 'date-time' })),
    actForOthers: Type.Optional(
      Type.Boolean({
        description:
          'A pipeline token, which may record other people as author, submitter or approver (instance admins only)',
      }),
    ),
  },
  { title: 'CreateToken' },
);

export const CreatedToken = Closed(
  { token: Type.String({ description: 'Shown once; only its hash is stored' }), info: ApiToken },
  { title: 'CreatedToken' },
);

export const Login = Closed(
  { username: Type.String({ maxLength: 64 }), password: Type.String({ maxLength: 1024 }) },
  { title: 'Login' },
);

export const Me = Closed(
  {
    user: User,
    memberships: Type.Array(Membership),
    via: Type.String(),
    csrfToken: Type.Optional(Type.String()),
  },
  { title: 'Me' },
);

/**
 * Who is signed in, if anyone (`GET /auth/session`): `me` is null when nobody is, so a page can
 * ask before sign-in without a failed request.
 */
export const AuthSession = Closed({ me: Nullable(Me) }, { title: 'AuthSession' });
