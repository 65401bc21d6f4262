import { PageHeader } from '../components/ui';

/** Placeholder until the screen lands. */
export function RuleEditPage({ name }: { name?: string }) {
  return <PageHeader title={name ?? 'New rule'} />;
}
