import { PageHeader } from '../components/ui';

/** Placeholder until the screen lands. */
export function MapPage() {
  return <PageHeader title="MapPage" />;
}
