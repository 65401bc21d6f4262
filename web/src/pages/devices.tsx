import { PageHeader } from '../components/ui';

/** Placeholder until the screen lands. */
export function DevicesPage() {
  return <PageHeader title="DevicesPage" />;
}
