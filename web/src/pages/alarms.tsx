import { PageHeader } from '../components/ui';

/** Placeholder until the screen lands. */
export function AlarmsPage() {
  return <PageHeader title="AlarmsPage" />;
}
