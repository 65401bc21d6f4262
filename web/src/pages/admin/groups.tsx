import { PageHeader } from '../../components/ui';

/** Placeholder until the screen lands. */
export function GroupsPage() {
  return <PageHeader title="GroupsPage" />;
}
