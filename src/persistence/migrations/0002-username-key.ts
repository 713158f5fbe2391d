/**
 * Migration 0002: usernames are unique without regard to case. Each user gets its folded name
 * (identity/text.ts foldUsername) in a unique column; login and the throttle compare that form.
 *
 * Stored names match USERNAME_PATTERN, which is ASCII, where folding is lower(): both dialects compute it here.
 * Users who already differ only in case keep working: the oldest of them (then the smallest id) gets the
 * folded name, the others keep a null key (a unique index admits several nulls, in SQLite and PostgreSQL
 * alike) and are found by their exact name only.
 */
import type { Migration } from './index.js';

export const m0002UsernameKey: Migration = {
  id: '0002-username-key',
  sqlite: [
    'alter table `users` add column `username_key` text null;',
    'update `users` set `username_key` = lower(`username`) where `id` = (select `o`.`id` from `users` as `o` where lower(`o`.`username`) = lower(`users`.`username`) order by `o`.`created_at` asc, `o`.`id` asc limit 1);',
    'create unique index `users_username_key_unique` on `users` (`username_key`);',
  ],
  postgresql: [
    'alter table "users" add column "username_key" varchar(128) null;',
    'update "users" as "u" set "username_key" = lower("u"."username") where "u"."id" = (select "o"."id" from "users" as "o" where lower("o"."username") = lower("u"."username") order by "o"."created_at" asc, "o"."id" asc limit 1);',
    'alter table "users" add constraint "users_username_key_unique" unique ("username_key");',
  ],
};
