import { PageHeader } from '../components/ui';

/** Placeholder until the screen lands. */
export function RulesPage() {
  return <PageHeader title="RulesPage" />;
}
