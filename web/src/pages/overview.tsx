import { PageHeader } from '../components/ui';

/** Placeholder until the screen lands. */
export function OverviewPage() {
  return <PageHeader title="OverviewPage" />;
}
