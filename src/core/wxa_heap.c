/*
 * wxa_heap.c — the indexed binary min-heap of wxa_heap.h.
 */
#include "wxa_heap.h"

#include <stdlib.h>

static int *
pos_of(const WxaHeap *h, const void *item)
{
	return (int *) ((char *) item + h->pos_offset);
}

static void
place(WxaHeap *h, int i, void *item)
{
	h->items[i] = item;
	*pos_of(h, item) = i;
}

static void
sift_up(WxaHeap *h, int i)
{
	void	   *item = h->items[i];

	while (i > 0)
	{
		int			parent = (i - 1) / 2;

		if (!h->before(item, h->items[parent]))
			break;
		place(h, i, h->items[parent]);
		i = parent;
	}
	place(h, i, item);
}

static void
sift_down(WxaHeap *h, int i)
{
	void	   *item = h->items[i];

	for (;;)
	{
		int			child = 2 * i + 1;

		if (child >= h->n)
			break;
		if (child + 1 < h->n && h->before(h->items[child + 1], h->items[child]))
			child++;
		if (!h->before(h->items[child], item))
			break;
		place(h, i, h->items[child]);
		i = child;
	}
	place(h, i, item);
}

void
wxa_heap_init(WxaHeap *h, WxaHeapBefore before, size_t pos_offset)
{
	h->items = NULL;
	h->n = h->cap = 0;
	h->before = before;
	h->pos_offset = pos_offset;
}

bool
wxa_heap_reserve(WxaHeap *h, int n)
{
	int			cap = h->cap ? h->cap : 16;
	void	  **grown;

	if (n <= h->cap)
		return true;
	while (cap < n)
		cap *= 2;
	grown = realloc(h->items, sizeof(void *) * (size_t) cap);
	if (grown == NULL)
		return false;
	h->items = grown;
	h->cap = cap;
	return true;
}

bool
wxa_heap_push(WxaHeap *h, void *item)
{
	if (!wxa_heap_reserve(h, h->n + 1))
		return false;
	h->items[h->n] = item;
	sift_up(h, h->n++);
	return true;
}

void *
wxa_heap_top(const WxaHeap *h)
{
	return h->n > 0 ? h->items[0] : NULL;
}

bool
wxa_heap_contains(const WxaHeap *h, const void *item)
{
	int			i = *pos_of(h, item);

	return i >= 0 && i < h->n && h->items[i] == item;
}

void
wxa_heap_remove(WxaHeap *h, void *item)
{
	int			i = *pos_of(h, item);
	void	   *last;

	if (!wxa_heap_contains(h, item))
		return;
	*pos_of(h, item) = -1;
	last = h->items[--h->n];
	if (i == h->n)
		return;
	h->items[i] = last;
	*pos_of(h, last) = i;
	sift_up(h, i);
	sift_down(h, *pos_of(h, last));
}

void *
wxa_heap_pop(WxaHeap *h)
{
	void	   *top = wxa_heap_top(h);

	if (top)
		wxa_heap_remove(h, top);
	return top;
}

void
wxa_heap_update(WxaHeap *h, void *item)
{
	if (!wxa_heap_contains(h, item))
		return;
	sift_up(h, *pos_of(h, item));
	sift_down(h, *pos_of(h, item));
}

void
wxa_heap_free(WxaHeap *h)
{
	free(h->items);
	h->items = NULL;
	h->n = h->cap = 0;
}
