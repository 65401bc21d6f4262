import { PageHeader } from '../../components/ui';

/** Placeholder until the screen lands. */
export function UsersPage() {
  return <PageHeader title="UsersPage" />;
}
