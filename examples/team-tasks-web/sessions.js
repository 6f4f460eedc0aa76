// Sample sessions: the verified claims of Clerk v1 session tokens, as a front end gets them
// from `useAuth()` / `getToken()` and the server has already checked. Times are fixed so
// the expired token is expired whenever the page runs: decisions use NOW, not the clock.

export const NOW = 1721770150; // 2024-07-23T21:29:10Z

const base = (sub, extra) => ({
  azp: 'http://localhost:3005',
  iss: 'https://assuring-cod-50.clerk.accounts.dev',
  sid: `sess_${sub}`,
  sub,
  iat: NOW - 17,
  nbf: NOW - 27,
  exp: NOW + 43,
  ...extra,
});

const team = (role, permissions, licensed) => ({
  org_id: 'org_team',
  org_slug: 'acme',
  org_role: role,
  org_permissions: permissions,
  org_metadata: { isLicensed: licensed },
});

export const ORG = { id: 'org_team', name: 'Acme' };

export const sessions = [
  {
    key: 'manager',
    name: 'Alice',
    label: 'Manager',
    note: 'org:manager, licensed seat',
    claims: base('user_alice', team('org:manager', ['org:tasks:view', 'org:tasks:edit', 'org:tasks:manage'], true)),
  },
  {
    key: 'member',
    name: 'Bob',
    label: 'Member',
    note: 'org:member, licensed seat',
    claims: base('user_bob', team('org:member', ['org:tasks:view', 'org:tasks:edit'], true)),
  },
  {
    key: 'viewer',
    name: 'Charlie',
    label: 'Viewer',
    note: 'org:viewer',
    claims: base('user_charlie', team('org:viewer', ['org:tasks:view'], true)),
  },
  {
    key: 'unlicensed',
    name: 'Dana',
    label: 'Unlicensed member',
    note: 'org:member, no seat',
    claims: base('user_dana', team('org:member', ['org:tasks:view', 'org:tasks:edit'], false)),
  },
  {
    key: 'personal',
    name: 'Erin',
    label: 'Personal account',
    note: 'no active organization',
    claims: base('user_erin', {}),
  },
  {
    key: 'expired',
    name: 'Frank',
    label: 'Expired token',
    note: 'org:manager, exp an hour ago',
    claims: base('user_frank', { ...team('org:manager', ['org:tasks:view', 'org:tasks:edit', 'org:tasks:manage'], true), iat: NOW - 3700, nbf: NOW - 3710, exp: NOW - 3600 }),
  },
];

// The org's tasks and everyone's personal tasks, as rows from the app's database.
export const tasks = [
  { id: 't1', title: 'Write the onboarding guide', owner_id: 'org_team', created_by_id: 'user_alice', done: false },
  { id: 't2', title: 'Fix the billing webhook retries', owner_id: 'org_team', created_by_id: 'user_bob', done: false },
  { id: 't3', title: 'Plan the Q3 offsite', owner_id: 'org_team', created_by_id: 'user_charlie', done: true },
  { id: 't4', title: 'Review seat pricing', owner_id: 'org_team', created_by_id: 'user_dana', done: false },
  { id: 'p1', title: 'Renew passport', owner_id: 'user_alice', created_by_id: 'user_alice', done: false },
  { id: 'p2', title: 'Read "Designing Data-Intensive Applications"', owner_id: 'user_bob', created_by_id: 'user_bob', done: false },
  { id: 'p3', title: 'Sketch the conference talk', owner_id: 'user_charlie', created_by_id: 'user_charlie', done: false },
  { id: 'p4', title: 'Book a dentist appointment', owner_id: 'user_dana', created_by_id: 'user_dana', done: false },
  { id: 'p5', title: 'Ship the side project landing page', owner_id: 'user_erin', created_by_id: 'user_erin', done: false },
  { id: 'p6', title: 'Invoice July', owner_id: 'user_erin', created_by_id: 'user_erin', done: true },
  { id: 'p7', title: 'Water the plants', owner_id: 'user_frank', created_by_id: 'user_frank', done: false },
];
