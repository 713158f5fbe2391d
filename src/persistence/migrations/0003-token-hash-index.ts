/**
 * Migration 0003: an issued token's hash is no longer unique per instance. A custom provider may issue the same
 * string twice (a deterministic ticket); each issuance keeps its record, the newest speaks for the token, and
 * cancelling the string cancels them all. The lookup index stays.
 */
import type { Migration } from './index.js';

export const m0003TokenHashIndex: Migration = {
  id: '0003-token-hash-index',
  sqlite: [
    'drop index if exists `issued_tokens_instance_id_token_hash_unique`;',
    'create index `issued_tokens_instance_id_token_hash_index` on `issued_tokens` (`instance_id`, `token_hash`);',
  ],
  postgresql: [
    'alter table "issued_tokens" drop constraint if exists "issued_tokens_instance_id_token_hash_unique";',
    'create index "issued_tokens_instance_id_token_hash_index" on "issued_tokens" ("instance_id", "token_hash");',
  ],
};
