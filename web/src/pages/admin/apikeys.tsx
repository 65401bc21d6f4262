import { PageHeader } from '../../components/ui';

/** Placeholder until the screen lands. */
export function ApiKeysPage() {
  return <PageHeader title="ApiKeysPage" />;
}
