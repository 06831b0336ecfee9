import { call, type Schemas } from './client';

/**
 * Partners' webhooks at the edge (routes/webhooks.py): an organization's endpoints, their signing
 * secrets (shown once, on create and on rotate), the delivery log and redelivery.
 */
export type WebhookType = Schemas['WebhookEndpointCreate']['types'][number];
export const WEBHOOK_TYPES: readonly WebhookType[] = [
  'event.published',
  'event.updated',
  'event.cancelled',
  'order.paid',
  'order.refunded',
  'ticket.checked_in',
];

export type WebhookEndpoint = Schemas['WebhookEndpointPublic'];
export type WebhookEndpointWithSecret = Schemas['WebhookEndpointWithSecret'];
export type WebhookDelivery = Schemas['WebhookDeliveryPublic'];

export async function fetchWebhooks(signal?: AbortSignal): Promise<WebhookEndpoint[]> {
  const { data } = await call('get', '/api/v1/webhooks', { query: { limit: 200 }, signal });
  return data.items;
}

export async function createWebhook(url: string, types: WebhookType[], description: string): Promise<WebhookEndpointWithSecret> {
  const { data } = await call('post', '/api/v1/webhooks', { body: { url, types, description } });
  return data;
}

export async function updateWebhook(
  id: string,
  change: { types?: WebhookType[]; enabled?: boolean; url?: string; description?: string },
): Promise<WebhookEndpoint> {
  const { data } = await call('patch', '/api/v1/webhooks/{endpoint_id}', { path: { endpoint_id: id }, body: change });
  return data;
}

export async function deleteWebhook(id: string): Promise<void> {
  await call('delete', '/api/v1/webhooks/{endpoint_id}', { path: { endpoint_id: id } });
}

export async function rotateWebhookSecret(id: string): Promise<WebhookEndpointWithSecret> {
  const { data } = await call('post', '/api/v1/webhooks/{endpoint_id}/rotate-secret', { path: { endpoint_id: id } });
  return data;
}

export async function fetchWebhookDeliveries(id: string, signal?: AbortSignal): Promise<WebhookDelivery[]> {
  const { data } = await call('get', '/api/v1/webhooks/{endpoint_id}/deliveries', {
    path: { endpoint_id: id },
    query: { limit: 50 },
    signal,
  });
  return data.items;
}

export async function redeliverWebhook(id: string, deliveryId: string): Promise<WebhookDelivery> {
  const { data } = await call('post', '/api/v1/webhooks/{endpoint_id}/deliveries/{delivery_id}/redeliver', {
    path: { endpoint_id: id, delivery_id: deliveryId },
  });
  return data;
}

/** Every delivery to the endpoint created in [since, until) is attempted again; answers how many. */
export async function redeliverWebhookRange(id: string, since: string, until: string): Promise<number> {
  const { data } = await call('post', '/api/v1/webhooks/{endpoint_id}/redeliver', {
    path: { endpoint_id: id },
    body: { since, until },
  });
  return data.redelivered;
}
