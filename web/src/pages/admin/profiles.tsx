import { PageHeader } from '../../components/ui';

/** Placeholder until the screen lands. */
export function ProfilesPage() {
  return <PageHeader title="ProfilesPage" />;
}
