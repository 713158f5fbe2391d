// `npm run schema`: writes schema.graphql from the code (a test fails when the committed file is stale).
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { printDefaultSchema } from './default-schema.js';
import { projectRoot } from '../paths.js';

writeFileSync(join(projectRoot(), 'schema.graphql'), printDefaultSchema());
process.stdout.write('wrote schema.graphql\n');
